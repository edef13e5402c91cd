/**
 * Validators for rendered Kubernetes manifests: the strict Kubernetes JSON schemas (an unknown
 * field is an error, as with the API server's strict field validation) and the openAPIV3Schema
 * of each CRD, turned into JSON Schema the way the API server reads it. Inputs: the folders
 * scripts/install-k8s-test-tools.sh fills (var/tools/k8s-schemas) and test/deploy/crds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
/** Where scripts/install-k8s-test-tools.sh puts helm and the schemas. */
export const TOOLS_DIR = join(ROOT, 'var', 'tools');
const SCHEMAS_DIR = join(TOOLS_DIR, 'k8s-schemas');
/** CRDs no registry serves, kept in the repository. */
const VENDORED_CRDS_DIR = join(import.meta.dirname, 'crds');

const INSTALL_HINT = 'run scripts/install-system-deps.sh --with-test-tools (or scripts/install-k8s-test-tools.sh)';

/** A manifest as rendered: apiVersion, kind and the rest. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** Validates manifests of the kinds it knows; `check` returns the problems, empty when valid. */
export interface ManifestValidator {
  /** Kubernetes version of the built-in schemas, e.g. v1.33.0. */
  readonly kubernetesVersion: string;
  check(manifest: Manifest): string[];
}

/** The Kubernetes versions whose schemas are installed, oldest first. */
export function installedKubernetesVersions(): string[] {
  const dir = join(SCHEMAS_DIR, 'kubernetes');
  if (!existsSync(dir)) throw new Error(`no Kubernetes schemas in ${dir}: ${INSTALL_HINT}`);
  const versions = readdirSync(dir)
    .filter((name) => name.endsWith('-local-strict'))
    .map((name) => name.slice(0, -'-local-strict'.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (versions.length === 0) throw new Error(`no Kubernetes schemas in ${dir}: ${INSTALL_HINT}`);
  return versions;
}

const validators = new Map<string, ManifestValidator>();

/** A validator of built-in kinds at `version` and of every installed or vendored CRD (one per version). */
export function manifestValidator(version: string): ManifestValidator {
  let validator = validators.get(version);
  if (validator === undefined) {
    validator = createValidator(version);
    validators.set(version, validator);
  }
  return validator;
}

function createValidator(version: string): ManifestValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const byKind = new Map<string, () => ValidateFunction>();
  for (const [key, load] of builtInSchemas(ajv, version)) byKind.set(key, load);
  for (const [key, schema] of crdSchemas())
    byKind.set(
      key,
      once(() => ajv.compile(schema)),
    );
  return {
    kubernetesVersion: version,
    check(manifest) {
      const key = `${manifest.apiVersion}/${manifest.kind}`;
      const load = byKind.get(key);
      if (load === undefined) return [`no schema for ${key} (Kubernetes ${version}, or an installed CRD)`];
      const validate = load();
      return validate(manifest) ? [] : (validate.errors ?? []).map(describe);
    },
  };
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '/' : error.instancePath;
  const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
  return `${where}: ${error.message ?? error.keyword}${extra}`;
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

/**
 * The built-in kinds: every top-level schema of the version names its group, version and kind
 * in `x-kubernetes-group-version-kind`; their `$ref`s point into `_definitions.json`.
 */
function builtInSchemas(ajv: Ajv2020, version: string): Map<string, () => ValidateFunction> {
  const dir = join(SCHEMAS_DIR, 'kubernetes', `${version}-local-strict`);
  if (!existsSync(dir)) throw new Error(`no Kubernetes ${version} schemas in ${dir}: ${INSTALL_HINT}`);
  ajv.addSchema(JSON.parse(readFileSync(join(dir, '_definitions.json'), 'utf8')));
  const schemas = new Map<string, () => ValidateFunction>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json') || file === '_definitions.json') continue;
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
    };
    for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
      const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
      schemas.set(
        `${apiVersion}/${gvk.kind}`,
        once(() => ajv.compile(schema)),
      );
    }
  }
  return schemas;
}

interface CustomResourceDefinition {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[];
  };
}

/** `apiVersion/kind` → JSON Schema of every served version of every CRD installed or vendored. */
function crdSchemas(): Map<string, Record<string, unknown>> {
  const dir = join(SCHEMAS_DIR, 'crds');
  if (!existsSync(dir)) throw new Error(`no CRD schemas in ${dir}: ${INSTALL_HINT}`);
  const files = [
    ...readdirSync(dir).map((file) => join(dir, file)),
    ...readdirSync(VENDORED_CRDS_DIR).map((file) => join(VENDORED_CRDS_DIR, file)),
  ].filter((file) => file.endsWith('.yaml'));
  const schemas = new Map<string, Record<string, unknown>>();
  for (const file of files) {
    const crd = parseYaml(readFileSync(file, 'utf8')) as CustomResourceDefinition;
    for (const version of crd.spec.versions) {
      if (!version.served) continue;
      const apiVersion = `${crd.spec.group}/${version.name}`;
      const schema = structuralToJsonSchema(version.schema.openAPIV3Schema) as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      schema.properties = {
        ...properties,
        apiVersion: { const: apiVersion },
        kind: { const: crd.spec.names.kind },
        metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      };
      schema.required = ['apiVersion', 'kind', 'metadata', ...((schema.required as string[] | undefined) ?? [])];
      schemas.set(`${apiVersion}/${crd.spec.names.kind}`, schema);
    }
  }
  return schemas;
}

/**
 * A CRD's structural schema as JSON Schema, as the API server applies it: `nullable` admits
 * null, `x-kubernetes-int-or-string` admits either, and an object with declared properties
 * takes no other field unless `x-kubernetes-preserve-unknown-fields` says so (the API server
 * prunes or, with strict field validation, refuses them).
 */
export function structuralToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structuralToJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, child]) => [name, structuralToJsonSchema(child)]),
      );
    } else if (key === 'description' || key === 'nullable' || key === 'default') {
      // Documentation and defaulting only: a default is the server's to apply.
    } else {
      out[key] = structuralToJsonSchema(value);
    }
  }
  if (source['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (
    source.properties !== undefined &&
    source.additionalProperties === undefined &&
    source['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  if (source.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
