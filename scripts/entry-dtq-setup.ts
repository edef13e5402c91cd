/**
 * Entry of the bundled `dtq-setup`: elk/setup.ts finds the dashboards' step by path at run time
 * (elk must not import dashboards), and a bundle has no such path, so the bundle passes every
 * step in explicitly.
 */
import { setupSteps } from '../dashboards/setup-step.ts';
import { CORE_STEPS } from '../elk/setup.ts';
import { setupCli } from '../elk/setup-cli.ts';

await setupCli(process.argv.slice(2), [...CORE_STEPS, ...setupSteps]);
