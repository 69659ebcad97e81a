export * from './identity.ts';
export * from './instance.ts';
