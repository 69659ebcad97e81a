export * from './instance.ts';
