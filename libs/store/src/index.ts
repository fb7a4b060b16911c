export * from './data-source';
export * from './entities';
export * from './event-hash';
export * from './event-store';
export * from './embedded';
export * from './snapshot-store';
