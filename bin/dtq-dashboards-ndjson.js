#!/usr/bin/env node
import { launch } from './launch.js';

await launch('dtq-dashboards-ndjson');
