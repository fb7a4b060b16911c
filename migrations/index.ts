import { EventStore1733000000000 } from './1733000000000-event-store';
import { GrantTimeline1733100000000 } from './1733100000000-grant-timeline';

/** Every migration, in order. The schema changes only through these. */
export const MIGRATIONS = [EventStore1733000000000, GrantTimeline1733100000000];
