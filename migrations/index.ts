import { EventStore1733000000000 } from './1733000000000-event-store';
import { Snapshots1733000000001 } from './1733000000001-snapshots';
import { GrantTimeline1733100000000 } from './1733100000000-grant-timeline';
import { SeenDecisions1733150000000 } from './1733150000000-seen-decisions';

/** Every migration, in order. The schema changes only through these. */
export const MIGRATIONS = [
  EventStore1733000000000,
  Snapshots1733000000001,
  GrantTimeline1733100000000,
  SeenDecisions1733150000000,
];
