// Side-effect import: makes tfjs gradients available. tfjs-core's own ESM gradient files use
// extensionless imports that Node cannot load, but the tfjs-layers Node bundle registers every gradient
// function in tfjs's global registry when it loads.
import '@tensorflow/tfjs-layers';
