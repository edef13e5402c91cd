#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=512
// A young generation of at most 2 MB per semi-space: under the shipper's steady allocation V8
// would otherwise grow it to its default ceiling, tens of MB of RSS. An explicit old-generation
// ceiling, far above the tens of MB the shipper's bounded buffers leave on its heap: without
// one, V8 sizes the old generation from the machine's memory and lets it grow further between
// full collections. The shipper bench runs dtq-ship with these flags; its peak RSS is in
// docs/pipeline.md and docs/benchmarks.md.
import { launch } from './launch.js';

await launch('dtq-ship');
