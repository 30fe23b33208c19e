// Browser twin of register-gradients.ts: tfjs-core's ESM build registers every gradient function here.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
