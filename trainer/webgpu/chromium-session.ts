// A headless Chromium (the system's, through playwright-core) holding the training engine page on a
// private 127.0.0.1 server; every other request is blocked, so nothing leaves the machine. Node only.
import { createServer, type Server } from 'node:http';
import type { Adam } from '../adam.js';
import type { VaeModel } from '../models.js';
import type { LossOptions } from '../train-step.js';
import type { AdapterSummary } from './adapter.js';
import { engineScript } from './bundle.js';
import { ChromiumEngine } from './chromium-engine.js';
import type { EngineApi } from './page-entry.js';

export const CHROMIUM_PATH = process.env.EDGEVAE_CHROMIUM ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu',
];

/** Minimal view of playwright-core's Page that the engine needs. */
export interface EnginePage {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}

export interface SessionOptions {
  /** let Chromium fall back to SwiftShader (CPU-emulated WebGPU) when it has no GPU */
  allowSoftware: boolean;
}

export class ChromiumSession {
  private constructor(
    private readonly browser: { close(): Promise<void> },
    private readonly server: Server,
    readonly page: EnginePage,
    readonly adapter: AdapterSummary,
  ) {}

  static async open(opts: SessionOptions): Promise<ChromiumSession> {
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      throw new Error('WebGPU training drives Chromium through playwright-core, which is not installed (npm install playwright-core)');
    }
    const script = await engineScript();
    const server = createServer((req, res) => {
      if (req.url === '/engine.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(
          '<!doctype html><title>edgevae engine</title><script src="/engine.js"></script>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const args = [...BASE_ARGS, ...(opts.allowSoftware ? ['--enable-unsafe-swiftshader'] : [])];
    let browser: Awaited<ReturnType<typeof chromium.launch>>;
    try {
      // Ctrl-C belongs to the trainer (it saves a checkpoint first), not to playwright's handler.
      browser =
        await chromium.launch({ executablePath: CHROMIUM_PATH, args, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    } catch (e) {
      server.close();
      throw new Error(`cannot start Chromium at ${CHROMIUM_PATH} (set EDGEVAE_CHROMIUM): ${(e as Error).message.split('\n')[0]}`);
    }
    try {
      const page = await browser.newPage();
      await page.route('**/*', (route) =>
        (route.request().url().startsWith(`${origin}/`) ? route.continue() : route.abort('blockedbyclient')));
      await page.goto(`${origin}/`);
      const { adapter } = await page.evaluate(() => (window as unknown as { edgevaeEngine: EngineApi }).edgevaeEngine.start(), undefined);
      return new ChromiumSession(browser, server, page, adapter);
    } catch (e) {
      await browser.close();
      server.close();
      throw new Error(`WebGPU in Chromium: ${(e as Error).message.split('\n')[0].replace(/^page\.evaluate: (Error: )?/, '')}`);
    }
  }

  /** Moves training of `model`/`adam` into the page, starting from their current state. */
  engine(model: VaeModel, adam: Adam, loss: LossOptions): Promise<ChromiumEngine> {
    return ChromiumEngine.start(this.page, model, adam, loss);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    this.server.close();
  }
}
