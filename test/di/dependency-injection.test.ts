import 'reflect-metadata';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Injectable()
class Clock {
  now(): number {
    return 42;
  }
}

@Injectable()
class NeedsClock {
  // Resolved by constructor type alone: works only if the compiler emits decorator metadata.
  constructor(readonly clock: Clock) {}
}

@Module({ providers: [Clock, NeedsClock] })
class ProbeModule {}

test('the pinned TypeScript emits decorator metadata that Nest injects by', async () => {
  assert.deepEqual(Reflect.getMetadata('design:paramtypes', NeedsClock), [Clock]);
  const app = await NestFactory.createApplicationContext(ProbeModule, { logger: false });
  try {
    assert.equal(app.get(NeedsClock).clock.now(), 42);
  } finally {
    await app.close();
  }
});
