{{/*
Names, labels and the pieces every dtq pod shares: the environment each process reads
(contract/env.ts and workload/<part>/config.ts), the shipper sidecar, the volumes and the security
context. Inputs: the release and .Values. Outputs: named templates, no manifests.
*/}}

{{- define "dtq.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "dtq.labels" -}}
app.kubernetes.io/name: dtq
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "api"). */}}
{{- define "dtq.selectorLabels" -}}
app.kubernetes.io/name: dtq
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "dtq.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
{{- end -}}

{{/*
Stop deadlines fixed in the code, in seconds: the API exits at the latest STOP_DEADLINE_MS after
SIGTERM (workload/api/main.ts); a worker exits at the latest HAND_BACK_MS after its grace period
(workload/worker/main.ts). test/deploy/helm-chart.int.test.ts checks both against the code.
*/}}
{{- define "dtq.apiStopDeadlineSeconds" -}}10{{- end -}}
{{- define "dtq.workerHandBackSeconds" -}}5{{- end -}}
{{/*
Key prefix of the queues (REDIS_PREFIX in workload/queue/contract.ts): a queue's wait list is
<prefix>:{<queue>}:<queue>:wait (waitListKey there; the braces are its Redis Cluster hash tag).
*/}}
{{- define "dtq.queuePrefix" -}}dtq{{- end -}}
{{/* nginx: the image's stop signal is SIGQUIT (graceful); kubelet's SIGKILL comes at the grace period. */}}
{{- define "dtq.nginxStopSeconds" -}}10{{- end -}}

{{/*
What the shipper sidecar needs after the pod's processes exited: a pause to read their last
lines, then at most DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS to deliver them. 0 without a shipper.
*/}}
{{- define "dtq.shipperStopSeconds" -}}
{{- if .Values.shipper.enabled -}}
{{- add (int .Values.shipper.drainSeconds) (div (add (int .Values.shipper.shutdownTimeoutMs) 999) 1000) -}}
{{- else -}}0{{- end -}}
{{- end -}}

{{/*
A pod's terminationGracePeriodSeconds: the computed minimum (its process's stop budget, then the
shipper's, plus 2 s for the kubelet), or the override, refused when shorter.
(dict "root" $ "name" "worker" "processSeconds" N "override" V)
*/}}
{{- define "dtq.gracePeriod" -}}
{{- $minimum := add .processSeconds (include "dtq.shipperStopSeconds" .root | atoi) 2 -}}
{{- if kindIs "invalid" .override -}}
{{- $minimum -}}
{{- else if lt (int .override) $minimum -}}
{{- fail (printf "%s.terminationGracePeriodSeconds=%v is shorter than the %d s the %s pod needs to stop cleanly (its process's stop deadline, then the shipper's drain and delivery); raise it or leave it unset" .name .override $minimum .name) -}}
{{- else -}}
{{- int .override -}}
{{- end -}}
{{- end -}}

{{/*
The Redis mode, checked against the other redis.* values: each mode runs on the operator's
resource for it (Redis; RedisCluster; RedisReplication + RedisSentinel) or on addresses of a
deployment the user runs, never both, and without the operator it needs those addresses.
*/}}
{{- define "dtq.redisMode" -}}
{{- $redis := .Values.redis -}}
{{- if and (ne $redis.mode "single") (or $redis.url $redis.urlSecret.name) -}}
{{- fail (printf "redis.url and redis.urlSecret are for redis.mode=single; with redis.mode=%s unset them (the password comes from redis.passwordSecret)" $redis.mode) -}}
{{- end -}}
{{- if eq $redis.mode "cluster" -}}
{{- if and $redis.operator.enabled $redis.cluster.nodes -}}
{{- fail "redis.cluster.nodes names a Redis Cluster you run, while redis.operator.enabled creates one: unset one of them" -}}
{{- else if and (not $redis.operator.enabled) (empty $redis.cluster.nodes) -}}
{{- fail "redis.mode=cluster needs redis.cluster.nodes (host:port of seed nodes of your Redis Cluster, several so one down at start does not matter), or redis.operator.enabled=true" -}}
{{- end -}}
{{- end -}}
{{- if eq $redis.mode "sentinel" -}}
{{- if and $redis.operator.enabled $redis.sentinel.sentinels -}}
{{- fail "redis.sentinel.sentinels names sentinels you run, while redis.operator.enabled creates them: unset one of them" -}}
{{- else if and (not $redis.operator.enabled) (empty $redis.sentinel.sentinels) -}}
{{- fail "redis.mode=sentinel needs redis.sentinel.sentinels (host:port of the sentinels you run), or redis.operator.enabled=true" -}}
{{- else if and (not $redis.operator.enabled) (not $redis.sentinel.masterName) -}}
{{- fail "redis.mode=sentinel needs redis.sentinel.masterName: the name the sentinels monitor the master under (sentinel monitor <name> ...)" -}}
{{- end -}}
{{- end -}}
{{- if and (eq $redis.mode "single") (or $redis.tls.enabled $redis.tls.caSecret.name) $redis.url (not (hasPrefix "rediss://" $redis.url)) -}}
{{- fail "redis.tls is set: redis.url must be a rediss:// URL (a single Redis takes TLS from its URL's scheme)" -}}
{{- end -}}
{{- if and (or $redis.tls.enabled $redis.tls.caSecret.name) $redis.operator.enabled -}}
{{- fail "redis.tls is for a Redis you run (its servers' certificates are yours), and the operator's resources are rendered without TLS: set redis.operator.enabled=false and give its addresses" -}}
{{- end -}}
{{- $redis.mode -}}
{{- end -}}

{{/* The Redis CA Secret as a volume and its mount, for the API and worker pods (nothing without one). */}}
{{- define "dtq.redisCaVolume" -}}
{{- with .Values.redis.tls.caSecret }}{{ if .name }}
- name: redis-ca
  secret:
    secretName: {{ .name | quote }}
    items:
      - key: {{ .key | quote }}
        path: ca.crt
{{- end }}{{ end }}
{{- end -}}
{{- define "dtq.redisCaMount" -}}
{{- if .Values.redis.tls.caSecret.name }}
- { name: redis-ca, mountPath: /etc/dtq/redis-ca, readOnly: true }
{{- end }}
{{- end -}}

{{/* The master name the sentinels monitor: the given one, or the operator's group named for dtq. */}}
{{- define "dtq.redisSentinelMaster" -}}
{{- .Values.redis.sentinel.masterName | default "dtq" -}}
{{- end -}}

{{/*
The Redis addresses of the Cluster or Sentinel mode, comma-separated: the operator's Service
(the RedisCluster's leaders, the RedisSentinel's sentinels) or the given ones. (dict "root" $
"qualified" bool): KEDA runs in its own namespace, so it needs the fully qualified name.
*/}}
{{- define "dtq.redisReplicatedAddresses" -}}
{{- $root := .root -}}
{{- $redis := $root.Values.redis -}}
{{- $mode := include "dtq.redisMode" $root -}}
{{- $domain := ternary (printf ".%s.svc" $root.Release.Namespace) "" .qualified -}}
{{- if not $redis.operator.enabled -}}
{{- join "," (ternary $redis.cluster.nodes $redis.sentinel.sentinels (eq $mode "cluster")) -}}
{{- else if eq $mode "cluster" -}}
{{- printf "%s-redis-leader%s:6379" (include "dtq.fullname" $root) $domain -}}
{{- else -}}
{{- printf "%s-redis-sentinel%s:26379" (include "dtq.fullname" $root) $domain -}}
{{- end -}}
{{- end -}}

{{/*
Where KEDA reads the queue lengths, for the trigger of the Redis mode: host:port of a single
Redis (KEDA runs in its own namespace: a fully qualified name), or the comma-separated
addresses of the cluster nodes or of the sentinels.
*/}}
{{- define "dtq.redisAddress" -}}
{{- $mode := include "dtq.redisMode" . -}}
{{- if ne $mode "single" -}}
{{- include "dtq.redisReplicatedAddresses" (dict "root" . "qualified" true) -}}
{{- else if .Values.redis.operator.enabled -}}
{{- printf "%s-redis.%s.svc:6379" (include "dtq.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- required "redis.host is required when redis.operator.enabled is false (KEDA reads the queue lengths there)" .Values.redis.host }}:{{ .Values.redis.port -}}
{{- end -}}
{{- end -}}

{{/*
What KEDA authenticates with, as secretTargetRef entries (empty without a password): the Redis
password, and in sentinel mode the sentinels' own.
*/}}
{{- define "dtq.redisKedaAuth" -}}
{{- with .Values.redis.passwordSecret }}{{ if .name }}
- parameter: password
  name: {{ .name | quote }}
  key: {{ .key | quote }}
{{- end }}{{ end }}
{{- with .Values.redis.tls.caSecret }}{{ if .name }}
- parameter: ca
  name: {{ .name | quote }}
  key: {{ .key | quote }}
{{- end }}{{ end }}
{{- if eq .Values.redis.mode "sentinel" }}{{ with .Values.redis.sentinel.passwordSecret }}{{ if .name }}
- parameter: sentinelPassword
  name: {{ .name | quote }}
  key: {{ .key | quote }}
{{- end }}{{ end }}{{ end }}
{{- end -}}

{{/*
"true" when the API and workers reach Redis over TLS, so KEDA's trigger must too: redis.tls.enabled,
a CA (DTQ_REDIS_CA turns TLS on), or a rediss:// redis.url. Empty otherwise.
*/}}
{{- define "dtq.redisTls" -}}
{{- $redis := .Values.redis -}}
{{- if or $redis.tls.enabled $redis.tls.caSecret.name (hasPrefix "rediss://" ($redis.url | default "")) -}}true{{- end -}}
{{- end -}}

{{/* KEDA's list-length trigger type for the Redis mode. */}}
{{- define "dtq.redisTriggerType" -}}
{{- $mode := include "dtq.redisMode" . -}}
{{- if eq $mode "cluster" -}}redis-cluster{{- else if eq $mode "sentinel" -}}redis-sentinel{{- else -}}redis{{- end -}}
{{- end -}}

{{/*
Where the API and workers find Redis (workload/queue/redis-target.ts): DTQ_REDIS_URL in single
mode; DTQ_REDIS_CLUSTER_NODES, or DTQ_REDIS_SENTINELS + DTQ_REDIS_SENTINEL_MASTER, with
DTQ_REDIS_PASSWORD from its Secret.
*/}}
{{- define "dtq.redisEnv" -}}
{{- $mode := include "dtq.redisMode" . -}}
{{- if .Values.redis.tls.caSecret.name }}
- name: DTQ_REDIS_CA
  value: /etc/dtq/redis-ca/ca.crt
{{- end }}
{{- if eq $mode "single" }}
{{ include "dtq.redisUrlEnv" . }}
{{- else }}
{{- if eq $mode "cluster" }}
- name: DTQ_REDIS_CLUSTER_NODES
  value: {{ include "dtq.redisReplicatedAddresses" (dict "root" . "qualified" false) | quote }}
{{- else }}
- name: DTQ_REDIS_SENTINELS
  value: {{ include "dtq.redisReplicatedAddresses" (dict "root" . "qualified" false) | quote }}
- name: DTQ_REDIS_SENTINEL_MASTER
  value: {{ include "dtq.redisSentinelMaster" . | quote }}
{{- with .Values.redis.sentinel.passwordSecret }}
{{- if .name }}
- name: DTQ_REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ .name | quote }}, key: {{ .key | quote }} }
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.redis.tls.enabled }}
- name: DTQ_REDIS_TLS
  value: "1"
{{- end }}
{{- with .Values.redis.passwordSecret }}
{{- if .name }}
- name: DTQ_REDIS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ .name | quote }}, key: {{ .key | quote }} }
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
DTQ_REDIS_URL (single mode): a URL from a Secret (the only place a Redis password may be), the
operator's Service, or redis.url.
*/}}
{{- define "dtq.redisUrlEnv" -}}
- name: DTQ_REDIS_URL
{{- if .Values.redis.urlSecret.name }}
  valueFrom:
    secretKeyRef: { name: {{ .Values.redis.urlSecret.name | quote }}, key: {{ .Values.redis.urlSecret.key | quote }} }
{{- else if and .Values.redis.operator.enabled .Values.redis.passwordSecret.name }}
{{- fail (printf "redis.passwordSecret is set: set redis.urlSecret too, a Secret holding redis://:<password>@%s-redis:6379 (the API and workers read the password from the URL)" (include "dtq.fullname" .)) }}
{{- else if .Values.redis.operator.enabled }}
  value: {{ printf "redis://%s-redis:6379" (include "dtq.fullname" .) | quote }}
{{- else }}
  value: {{ required "redis.url (or redis.urlSecret.name) is required when redis.operator.enabled is false" .Values.redis.url | quote }}
{{- end }}
{{- end -}}

{{/* The environment of every dtq process: pod name as instance, log directory, level. */}}
{{- define "dtq.commonEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef: { fieldPath: metadata.name }
- name: DTQ_LOG_DIR
  value: /var/log/dtq
- name: DTQ_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{/* Extra DTQ_* variables from a values map. */}}
{{- define "dtq.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "dtq.esUrl" -}}
{{- if .Values.elasticsearch.operator.enabled -}}
{{- printf "https://%s-es-http:9200" (include "dtq.fullname" .) -}}
{{- else -}}
{{- required "elasticsearch.url is required when elasticsearch.operator.enabled is false and the shipper is on" .Values.elasticsearch.url -}}
{{- end -}}
{{- end -}}

{{/* The Secret and key of the Elasticsearch CA, or nothing (plain http). */}}
{{- define "dtq.esCaSecretName" -}}
{{- if .Values.elasticsearch.operator.enabled -}}
{{- printf "%s-es-http-certs-public" (include "dtq.fullname" .) -}}
{{- else -}}
{{- .Values.elasticsearch.caSecret.name -}}
{{- end -}}
{{- end -}}

{{/* Credentials of the shipper, always by reference to a Secret. */}}
{{- define "dtq.esCredentialsEnv" -}}
{{- $credentials := .Values.elasticsearch.credentials -}}
{{- if $credentials.apiKeySecret.name }}
- name: DTQ_ES_API_KEY
  valueFrom:
    secretKeyRef: { name: {{ $credentials.apiKeySecret.name | quote }}, key: {{ $credentials.apiKeySecret.key | quote }} }
{{- else if or $credentials.secret.name .Values.elasticsearch.operator.enabled }}
{{- $name := $credentials.secret.name | default (printf "%s-es-elastic-user" (include "dtq.fullname" .)) }}
{{- $key := $credentials.secret.key | default $credentials.username }}
- name: DTQ_ES_USERNAME
  value: {{ $credentials.username | quote }}
- name: DTQ_ES_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $name | quote }}, key: {{ $key | quote }} }
{{- end }}
{{- end -}}

{{/*
The shipper as a native sidecar: an init container with restartPolicy Always starts before the
pod's process and is stopped only after it exited, so the process's last lines are read (during
the preStop pause) and delivered (SIGTERM: read every file to its end, deliver that, then exit).
*/}}
{{- define "dtq.shipperSidecar" -}}
{{- if .Values.shipper.enabled }}
- name: shipper
  image: {{ include "dtq.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  restartPolicy: Always
  command: [node, shipper/cli.ts]
  env:
    {{- include "dtq.commonEnv" . | nindent 4 }}
    - name: DTQ_INSTANCE
      value: shipper-$(POD_NAME)
    # The V8 flags bin/dtq-ship.js runs with: its measured memory (docs/pipeline.md).
    - name: NODE_OPTIONS
      value: --max-semi-space-size=2 --max-old-space-size=512
    - name: DTQ_ES_URL
      value: {{ include "dtq.esUrl" . | quote }}
    - name: DTQ_ES_INDEX_PREFIX
      value: {{ .Values.elasticsearch.indexPrefix | quote }}
    {{- with include "dtq.esCredentialsEnv" . | trim }}{{ . | nindent 4 }}{{- end }}
    {{- if include "dtq.esCaSecretName" . }}
    - name: DTQ_ES_CA
      value: /etc/dtq/es-ca/ca.crt
    {{- end }}
    # The index template must exist before the first daily index: the shipper installs it.
    - name: DTQ_SHIPPER_SETUP
      value: '1'
    - name: DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS
      value: {{ int .Values.shipper.shutdownTimeoutMs | quote }}
    {{- with include "dtq.extraEnv" .Values.shipper.env | trim }}{{ . | nindent 4 }}{{- end }}
  lifecycle:
    preStop:
      exec:
        command: [sleep, {{ int .Values.shipper.drainSeconds | quote }}]
  resources:
    {{- toYaml .Values.shipper.resources | nindent 4 }}
  securityContext:
    {{- include "dtq.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - { name: logs, mountPath: /var/log/dtq }
    - { name: tmp, mountPath: /tmp }
    {{- if include "dtq.esCaSecretName" . }}
    - { name: es-ca, mountPath: /etc/dtq/es-ca, readOnly: true }
    {{- end }}
{{- end }}
{{- end -}}

{{/* Volumes of every dtq pod: its log directory (shared with the shipper), /tmp, the ES CA. */}}
{{- define "dtq.podVolumes" -}}
- name: logs
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- if and .Values.shipper.enabled (include "dtq.esCaSecretName" .) }}
- name: es-ca
  secret:
    secretName: {{ include "dtq.esCaSecretName" . | quote }}
    items:
      - key: {{ if .Values.elasticsearch.operator.enabled }}ca.crt{{ else }}{{ .Values.elasticsearch.caSecret.key }}{{ end }}
        path: ca.crt
{{- end }}
{{- end -}}

{{- define "dtq.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Pod security context: the restricted profile; uid 1000 is the image's `node` user. */}}
{{- define "dtq.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "dtq.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
A PodDisruptionBudget's minAvailable, refused when it is not below the fewest replicas the
component can run with: a node drain could then never evict one of its pods.
(dict "name" "api" "minAvailable" N "floor" M)
*/}}
{{- define "dtq.pdbMinAvailable" -}}
{{- if ge (int .minAvailable) (int .floor) -}}
{{- fail (printf "%s.pdb.minAvailable=%d must be below the %d replica(s) %s runs with at least, or a node drain can never evict one; lower it or raise the replicas" .name (int .minAvailable) (int .floor) .name) -}}
{{- end -}}
{{- int .minAvailable -}}
{{- end -}}

{{/*
Spread a component's pods over the nodes, so a node lost or drained takes as few as possible;
ScheduleAnyway: a cluster with fewer nodes still schedules them. (dict "root" $ "component" "api")
*/}}
{{- define "dtq.topologySpread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "dtq.selectorLabels" . | nindent 8 }}
{{- end -}}
