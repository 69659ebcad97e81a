// Kept for importers not yet moved to the core codec (execution-service.ts).
export { decodeCursor, decodeVersionCursor, encodeCursor } from '../../core/cursor.ts';
