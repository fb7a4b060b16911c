import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DomainError,
  guardedStream,
  validation,
  type ExpectedVersion,
  type RegistryCommand,
} from '../../../../libs/domain/src';
import { changeMetadata } from '../http/request-context';
import { RecordChangeCommand, type ChangeRecorded } from './record-change';
import { RegistryIndexService } from './registry-index.service';

/** Ids the way Keystone makes them: a random UUID as 32 hex digits. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * `If-Match: "3"` (or W/"3", or 3) as a stream version; `*` is kept, since
 * it is false on a resource that does not exist (decide checks that).
 */
export function parseIfMatch(header: unknown): ExpectedVersion | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (header.trim() === '*') return '*';
  if (/^\s*W\//.test(header)) {
    // If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches.
    throw new DomainError(412, 'Precondition Failed', `If-Match needs a strong ETag; ${header} never matches.`, 'weak_etag');
  }
  const m = /^\s*"?(\d+)"?\s*$/.exec(header);
  if (!m) throw validation(`If-Match must be an ETag this registry issued, got ${header}.`, 'invalid_if_match');
  return Number(m[1]);
}

/** Records changes on behalf of an HTTP request and tells the client the position it produced. */
@Injectable()
export class ChangesService {
  constructor(
    private readonly bus: CommandBus,
    readonly registry: RegistryIndexService,
  ) {}

  async record(req: FastifyRequest, reply: FastifyReply, change: RegistryCommand): Promise<ChangeRecorded> {
    const expected = parseIfMatch(req.headers['if-match']);
    const command = expected === undefined ? change : { ...change, expected_version: expected };
    const result = await this.bus.execute<RecordChangeCommand, ChangeRecorded>(
      new RecordChangeCommand(command, changeMetadata(req)),
    );
    void reply.header('X-Registry-Position', String(result.position));
    // The version the change left, for the client's next If-Match.
    const stream = guardedStream(change);
    if (stream !== undefined) this.etag(reply, stream);
    return result;
  }

  etag(reply: FastifyReply, stream: string): void {
    void reply.header('ETag', `"${this.registry.state.version(stream)}"`);
  }

  get state() {
    return this.registry.state;
  }
}
