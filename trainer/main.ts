// Runs `edgevae train` directly: tsx trainer/main.ts --help
import { runTrain } from './cli.js';

process.exitCode = await runTrain(process.argv.slice(2));
