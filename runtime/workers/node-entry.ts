// Entry point of a Node worker thread of the pool.
import { parentPort } from 'node:worker_threads';
import { nodeMemberSpawner } from '../threads/node.js';
import { createRequestHandler } from './handler.js';
import type { WorkerRequest } from './protocol.js';

if (!parentPort) throw new Error('runtime/workers/node-entry must run inside a worker thread');
const port = parentPort;
const handle = createRequestHandler((response, transfer) => port.postMessage(response, transfer), nodeMemberSpawner());
port.on('message', (request: WorkerRequest) => void handle(request));
