// The format's numbers live in format/constants.ts; this path stays for existing importers.
export * from '../format/constants.js';
