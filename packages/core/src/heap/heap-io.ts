// The file operations of an open heap, for a mapped heap file (the addon) or an in-process one (memory-file.ts),
// told apart by the descriptor: in-process ones are negative. None of these is on the update path.
import { binding } from '../native/binding.js';
import { closeMemoryFile, growMemory, isMemoryLocked, lockMemory, mapMemory, unlockMemory } from './memory-file.js';
import { segmentViews, type SegmentViews } from './segments.js';

/** Takes a byte lock without waiting; false when another descriptor holds a conflicting one. */
export function lockByte(fd: number, offset: number, exclusive: boolean): boolean {
  return fd < 0 ? lockMemory(fd, offset, exclusive) : binding.lock(fd, offset, exclusive, false);
}

export function unlockByte(fd: number, offset: number): void {
  if (fd < 0) unlockMemory(fd, offset);
  else binding.unlock(fd, offset);
}

/** True when another descriptor holds the byte in a way that conflicts with the kind asked. */
export function isByteLocked(fd: number, offset: number, exclusive: boolean): boolean {
  return fd < 0 ? isMemoryLocked(fd, offset, exclusive) : binding.isLocked(fd, offset, exclusive);
}

/** Views of `length` bytes at the page-aligned `offset`, which must lie inside the file. */
export function mapSegment(fd: number, offset: number, length: number): SegmentViews {
  return fd < 0 ? mapMemory(fd, offset, length) : segmentViews(binding.map(fd, offset, length));
}

/**
 * Makes the file at least `bytes` long with its space reserved, lock-free; throws code EOPNOTSUPP where the
 * filesystem cannot (never for an in-process heap).
 */
export function allocateBytes(fd: number, bytes: number): void {
  if (fd < 0) growMemory(fd, bytes);
  else binding.allocate(fd, bytes);
}

export function closeFile(fd: number): void {
  if (fd < 0) closeMemoryFile(fd);
  else binding.close(fd);
}
