import { RegistryState } from './state';

/**
 * Bumped whenever the shape below changes. A reader ignores a snapshot
 * with any other format version and folds the log from zero instead.
 */
export const SNAPSHOT_FORMAT_VERSION = 2;

/** Maps whose values are plain JSON records. */
export const RECORD_MAPS = [
  'versions',
  'changedAt',
  'domains',
  'projects',
  'users',
  'groups',
  'roles',
  'idps',
  'mappings',
  'protocols',
  'domainIdByName',
  'projectIdByName',
  'userIdByName',
  'groupIdByName',
  'assignments',
  'apiTokens',
  'apiTokenIdBySecretHash',
  'trackedIdentities',
] as const;

/** Maps from a key to a set of ids; insertion order is kept so answers list things in the same order. */
export const SET_MAPS = [
  'childProjects',
  'membersOfGroup',
  'groupsOfUser',
  'impliedRoles',
  'assignmentsByTarget',
  'assignmentsByActor',
  'assignmentsByRole',
] as const;

export interface StateSnapshotBody {
  position: number;
  lastRecordedAt: string | null;
  settings: RegistryState['settings'];
  maps: Record<string, [unknown, unknown][]>;
  sets: Record<string, [unknown, unknown[]][]>;
}

/** The whole state as one JSON string (every map in its insertion order). */
export function serializeState(state: RegistryState): string {
  const maps: StateSnapshotBody['maps'] = {};
  for (const name of RECORD_MAPS) maps[name] = Array.from((state[name] as Map<unknown, unknown>).entries());
  const sets: StateSnapshotBody['sets'] = {};
  for (const name of SET_MAPS) {
    const out: [unknown, unknown[]][] = [];
    for (const [k, v] of state[name] as Map<unknown, Set<unknown>>) out.push([k, Array.from(v)]);
    sets[name] = out;
  }
  const body: StateSnapshotBody = {
    position: state.position,
    lastRecordedAt: state.lastRecordedAt,
    settings: state.settings,
    maps,
    sets,
  };
  return JSON.stringify(body);
}

/**
 * Rebuilds the state a snapshot was taken of, into `state` (emptied first)
 * or a new one; throws, leaving `state` untouched, on a body without the
 * expected shape.
 */
export function deserializeState(text: string, state = new RegistryState()): RegistryState {
  const body = JSON.parse(text) as StateSnapshotBody;
  if (typeof body !== 'object' || body === null || !Number.isInteger(body.position) || !body.maps || !body.sets) {
    throw new Error('snapshot body is malformed');
  }
  for (const name of [...RECORD_MAPS, ...SET_MAPS]) {
    if (!Array.isArray(body.maps[name] ?? body.sets[name])) throw new Error(`snapshot lacks ${name}`);
  }
  for (const name of [...RECORD_MAPS, ...SET_MAPS]) (state[name] as Map<unknown, unknown>).clear();
  state.position = body.position;
  state.lastRecordedAt = body.lastRecordedAt;
  state.settings = body.settings;
  for (const name of RECORD_MAPS) {
    const entries = body.maps[name];
    const map = state[name] as Map<unknown, unknown>;
    for (const [k, v] of entries) map.set(k, v);
  }
  for (const name of SET_MAPS) {
    const entries = body.sets[name];
    const map = state[name] as Map<unknown, Set<unknown>>;
    for (const [k, v] of entries) map.set(k, new Set(v));
  }
  return state;
}
