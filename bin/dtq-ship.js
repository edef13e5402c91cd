#!/usr/bin/env -S node --max-semi-space-size=2
// A young generation of at most 2 MB per semi-space: under the shipper's steady allocation V8
// would otherwise grow it to its default ceiling, tens of MB of RSS. The shipper bench runs
// dtq-ship with this flag (docs/benchmarks.md).
import { launch } from './launch.js';

await launch('dtq-ship');
