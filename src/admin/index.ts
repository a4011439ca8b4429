// The management services: today configuration as code; the API and CLI call only this surface.
export * from './config/index.js';
export * from './crud/index.js';
