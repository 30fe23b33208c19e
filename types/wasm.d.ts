// Types of `import wasmUrl from 'edgevae/wasm'`: the URL of build/edgevae.wasm as the bundler emits the file
// (esbuild with --loader:.wasm=file; in Vite import 'edgevae/wasm?url', typed by vite/client).
declare const url: string;
export default url;
