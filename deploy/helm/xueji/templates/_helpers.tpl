{{/*
Naming, labels and the settings shared by the templates. A service's values are
serviceDefaults merged with services.<name> (see "xueji.service").
*/}}

{{- define "xueji.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<service>[-suffix], at most 63 characters. Call with (list $ "dedup" "worker"). */}}
{{- define "xueji.name" -}}
{{- $root := index . 0 -}}
{{- $parts := list $root.Release.Name (index . 1) -}}
{{- if gt (len .) 2 }}{{ $parts = append $parts (index . 2) }}{{ end -}}
{{- join "-" $parts | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* The merged values of one service, as YAML: fromYaml (include "xueji.service" (list $ name)). */}}
{{- define "xueji.service" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $own := index $root.Values.services $name | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.serviceDefaults) (deepCopy $own)) -}}
{{- end }}

{{/* Names of the enabled services, sorted. */}}
{{- define "xueji.enabledServices" -}}
{{- $names := list -}}
{{- range $name := keys .Values.services | sortAlpha -}}
{{- $svc := fromYaml (include "xueji.service" (list $ $name)) -}}
{{- if $svc.enabled }}{{ $names = append $names $name }}{{ end -}}
{{- end -}}
{{- join "," $names -}}
{{- end }}

{{- define "xueji.baseLabels" -}}
helm.sh/chart: {{ include "xueji.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: xueji
{{- end }}

{{- define "xueji.commonLabels" -}}
{{ include "xueji.baseLabels" . }}
app.kubernetes.io/name: xueji
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one service's component. Call with (list $ "dedup" "grpc"). */}}
{{- define "xueji.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: xueji
app.kubernetes.io/instance: {{ $root.Release.Name }}
xueji.io/service: {{ index . 1 }}
app.kubernetes.io/component: {{ index . 2 }}
{{- end }}

{{- define "xueji.labels" -}}
{{ include "xueji.baseLabels" (index . 0) }}
{{ include "xueji.selectorLabels" . }}
{{- end }}

{{/* <repository>/<service>@<digest> when image.digests has the service, else :<tag>. */}}
{{- define "xueji.image" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $digest := index ($root.Values.image.digests | default dict) $name -}}
{{- if $digest -}}
{{- printf "%s/%s@%s" $root.Values.image.repository $name $digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $root.Values.image.repository $name ($root.Values.image.tag | default $root.Chart.AppVersion) -}}
{{- end -}}
{{- end }}

{{/* Secret holding the service's XUEJI_DATABASE_URL. */}}
{{- define "xueji.databaseSecret" -}}
{{- $root := index . 0 -}}
{{- $svc := index . 2 -}}
{{- $svc.database.urlSecret.name | default (include "xueji.name" (list $root (index . 1) "db")) -}}
{{- end }}

{{/* Non-secret settings of a service (XUEJI_* → value). Call with (list $ name svc). */}}
{{- define "xueji.settings" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $svc := index . 2 -}}
{{- $s := $root.Values.settings -}}
XUEJI_MODE: production
XUEJI_LOG_LEVEL: {{ $s.logLevel | quote }}
XUEJI_LOG_FORMAT: {{ $s.logFormat | quote }}
XUEJI_GRPC_ADDRESS: {{ printf "0.0.0.0:%d" (int $root.Values.ports.grpc) | quote }}
XUEJI_GRPC_WORKERS: {{ $s.grpcWorkers | quote }}
XUEJI_METRICS_PORT: {{ $root.Values.ports.metrics | quote }}
XUEJI_RELAY_INTERVAL: {{ $s.relayInterval | quote }}
XUEJI_TOKEN_AUDIENCE: {{ $s.tokenAudience | quote }}
XUEJI_TOKEN_ISSUER: {{ $s.tokenIssuer | quote }}
XUEJI_HEALTH_INTERVAL: {{ $s.healthInterval | quote }}
XUEJI_ACCESS_LOG_SUMMARY_SECONDS: {{ $s.accessLogSummarySeconds | quote }}
{{- with $root.Values.tracing }}
{{- if .otlpEndpoint }}
XUEJI_OTLP_ENDPOINT: {{ .otlpEndpoint | quote }}
XUEJI_TRACE_SAMPLE_RATIO: {{ .sampleRatio | quote }}
{{- end }}
{{- end }}
XUEJI_SHUTDOWN_DELAY: {{ $root.Values.shutdown.drainSeconds | quote }}
XUEJI_DATA_DIR: /tmp/xueji
{{- with $svc.workerConcurrency }}
XUEJI_WORKER_CONCURRENCY: {{ . | quote }}
{{- end }}
{{- if eq $name "dedup" }}
{{- if not (has $svc.scope (list "province" "national")) }}
{{- fail (printf "services.dedup.scope must be province or national, got %v" $svc.scope) }}
{{- end }}
XUEJI_SCOPE: {{ $svc.scope | quote }}
{{- end }}
{{- if eq $name "national-query" }}
{{- $r := $root.Values.redis }}
{{- if not (or $r.url $r.urlSecret.name) }}
{{- fail "redis.url or redis.urlSecret.name must be set: national-query counts lookups per user in Redis, shared by its replicas (\"memory://\" for a single-replica evaluation)" }}
{{- end }}
{{- with $r.url }}
XUEJI_REDIS_URL: {{ . | quote }}
{{- end }}
XUEJI_RATE_LIMIT_PREFIX: {{ $r.keyPrefix | default (printf "%s-national-query" $root.Release.Name) | quote }}
{{- with $root.Values.tls.trustedProxies }}
XUEJI_TRUSTED_PROXIES: {{ join "," . | quote }}
{{- end }}
{{- end }}
{{- if or $root.Values.orgUnits.csv $root.Values.orgUnits.existingConfigMap }}
XUEJI_ORG_UNITS_FILE: {{ printf "/etc/xueji/org-units/%s" $root.Values.orgUnits.key | quote }}
{{- end }}
{{- if and $svc.proofFiles $svc.proofFiles.enabled }}
XUEJI_FILES_DIR: {{ $svc.proofFiles.mountPath | quote }}
{{- end }}
XUEJI_TRUSTED_ISSUERS: {{ include "xueji.trustedIssuers" $root | quote }}
{{- if eq $name "accounts" }}
XUEJI_JWKS_PORT: {{ $root.Values.ports.jwks | quote }}
{{- else }}
XUEJI_SERVICE_CLIENT_ID: {{ $name | quote }}
{{- if not (hasKey $svc.peers "ACCOUNTS") }}
XUEJI_PEER_ACCOUNTS: {{ printf "%s:%d" (include "xueji.name" (list $root "accounts")) (int $root.Values.ports.grpc) | quote }}
{{- end }}
{{- end }}
{{- range $peer, $address := $svc.peers }}
{{- if not $address }}
{{- fail (printf "services.%s.peers.%s is empty: set the address (host:port) of that peer" $name $peer) }}
{{- end }}
{{ printf "XUEJI_PEER_%s" ($peer | upper | replace "-" "_") }}: {{ tpl (toString $address) $root | quote }}
{{- end }}
{{- range $key, $value := $svc.env }}
{{ $key }}: {{ tpl (toString $value) $root | quote }}
{{- end }}
{{- end }}

{{/* Secret-backed environment of a service (container env entries). */}}
{{- define "xueji.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $v := $root.Values -}}
- name: XUEJI_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "xueji.databaseSecret" . }}
      key: {{ (index . 2).database.urlSecret.key }}
- name: XUEJI_AMQP_URI
  valueFrom:
    secretKeyRef:
      name: {{ $v.rabbitmq.uriSecret.name }}
      key: {{ $v.rabbitmq.uriSecret.key }}
{{- if eq (index . 1) "accounts" }}
- name: XUEJI_SERVICE_CLIENTS
  valueFrom:
    secretKeyRef:
      name: {{ $v.identity.serviceClients.secretName }}
      key: clients.json
{{- else }}
- name: XUEJI_SERVICE_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $v.identity.serviceClients.secretName }}
      key: {{ index . 1 }}
{{- end }}
- name: XUEJI_HASH_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.hashKey.name }}
      key: {{ $v.secrets.hashKey.key }}
- name: XUEJI_DATA_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.dataKey.name }}
      key: {{ $v.secrets.dataKey.key }}
- name: XUEJI_DATA_KEY_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.dataKey.name }}
      key: {{ $v.secrets.dataKey.previousKey }}
      optional: true
{{- if and (eq (index . 1) "national-query") $v.redis.urlSecret.name }}
- name: XUEJI_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.redis.urlSecret.name }}
      key: {{ $v.redis.urlSecret.key }}
{{- end }}
{{- end }}

{{/* TLS of the server and client containers (not migrations): the files of the mounted Secrets. */}}
{{- define "xueji.tlsEnv" -}}
{{- $t := (index . 0).Values.tls -}}
{{- if $t.server.secretName }}
- {name: XUEJI_TLS_CERT_FILE, value: /etc/xueji/tls/server/tls.crt}
- {name: XUEJI_TLS_KEY_FILE, value: /etc/xueji/tls/server/tls.key}
- {name: XUEJI_TLS_CLIENT_AUTH, value: {{ $t.server.clientAuth | quote }}}
- {name: XUEJI_HEALTH_ADDRESS, value: {{ printf "0.0.0.0:%d" (int $t.healthPort) | quote }}}
{{- else if ne $t.server.clientAuth "none" }}
{{- fail "tls.server.clientAuth needs tls.server.secretName (the servers' certificate)" }}
{{- end }}
{{- if $t.client.secretName }}
- {name: XUEJI_TLS_CLIENT_CERT_FILE, value: /etc/xueji/tls/client/tls.crt}
- {name: XUEJI_TLS_CLIENT_KEY_FILE, value: /etc/xueji/tls/client/tls.key}
{{- end }}
{{- if $t.caBundle.secretName }}
- {name: XUEJI_TLS_CA_FILE, value: {{ printf "/etc/xueji/tls/ca/%s" $t.caBundle.key | quote }}}
{{- else if eq $t.server.clientAuth "require" }}
{{- fail "tls.server.clientAuth=require needs tls.caBundle.secretName (the CA of the clients' certificates)" }}
{{- end }}
{{- end }}

{{/* The TLS Secrets as volumes, whole (a subPath mount would never see a renewal). */}}
{{- define "xueji.tlsVolumes" -}}
{{- $t := (index . 0).Values.tls -}}
{{- range $part, $secret := dict "server" $t.server.secretName "client" $t.client.secretName "ca" $t.caBundle.secretName }}
{{- if $secret }}
- name: tls-{{ $part }}
  secret:
    secretName: {{ $secret }}
{{- end }}
{{- end }}
{{- end }}

{{- define "xueji.tlsVolumeMounts" -}}
{{- $t := (index . 0).Values.tls -}}
{{- range $part, $secret := dict "server" $t.server.secretName "client" $t.client.secretName "ca" $t.caBundle.secretName }}
{{- if $secret }}
- name: tls-{{ $part }}
  mountPath: /etc/xueji/tls/{{ $part }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes every xueji pod has: a writable /tmp (the root filesystem is read-only) and the org units. */}}
{{- define "xueji.volumes" -}}
{{- $root := index . 0 -}}
- name: tmp
  emptyDir:
    sizeLimit: 1Gi
{{- if or $root.Values.orgUnits.csv $root.Values.orgUnits.existingConfigMap }}
- name: org-units
  configMap:
    name: {{ $root.Values.orgUnits.existingConfigMap | default (include "xueji.name" (list $root "org-units")) }}
{{- end }}
{{- end }}

{{- define "xueji.volumeMounts" -}}
{{- $root := index . 0 -}}
- name: tmp
  mountPath: /tmp
{{- if or $root.Values.orgUnits.csv $root.Values.orgUnits.existingConfigMap }}
- name: org-units
  mountPath: /etc/xueji/org-units
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod-level settings shared by the Deployments and the migration Job. */}}
{{- define "xueji.podCommon" -}}
{{- $root := index . 0 -}}
{{- $svc := index . 2 -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $svc.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $svc.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $svc.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* XUEJI_TRUSTED_ISSUERS (JSON): this tier's issuer, its JWKS from the accounts Service, then identity.trustedIssuers. */}}
{{- define "xueji.trustedIssuers" -}}
{{- $jwks := printf "http://%s:%d/.well-known/jwks.json" (include "xueji.name" (list . "accounts")) (int .Values.ports.jwks) -}}
{{- $own := dict "issuer" .Values.settings.tokenIssuer "jwks" $jwks "units" .Values.identity.units -}}
{{- range .Values.identity.trustedIssuers }}
{{- if or (not .issuer) (not .jwks) }}
{{- fail "identity.trustedIssuers: each entry needs issuer and jwks" }}
{{- end }}
{{- end }}
{{- prepend .Values.identity.trustedIssuers $own | toJson -}}
{{- end }}
