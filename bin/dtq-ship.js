#!/usr/bin/env -S node --max-semi-space-size=2
// A young generation of 2 MB per semi-space: under the shipper's steady allocation V8 otherwise
// grows it to tens of MB, which was most of the shipper's peak RSS (docs/benchmarks.md).
import { launch } from './launch.js';

await launch('dtq-ship');
