{{/* Chart name, at most 63 characters. */}}
{{- define "replcache.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. The StatefulSet's pods are <fullname>-<ordinal>, and the
headless Service appends "-headless": keep room for both within DNS's 63-character labels.
*/}}
{{- define "replcache.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "replcache.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "replcache.labels" -}}
helm.sh/chart: {{ include "replcache.chart" . }}
{{ include "replcache.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "replcache.selectorLabels" -}}
app.kubernetes.io/name: {{ include "replcache.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "replcache.headlessName" -}}
{{ include "replcache.fullname" . }}-headless
{{- end }}

{{- define "replcache.writeServiceName" -}}
{{ include "replcache.fullname" . }}-write
{{- end }}

{{- define "replcache.readServiceName" -}}
{{ include "replcache.fullname" . }}-read
{{- end }}

{{/* The DNS domain under which each pod has a name: <pod>.<this>. */}}
{{- define "replcache.peerDomain" -}}
{{ include "replcache.headlessName" . }}.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}
{{- end }}

{{/* gRPC address of the master, pod 0, through the headless Service. */}}
{{- define "replcache.masterAddress" -}}
{{ include "replcache.fullname" . }}-0.{{ include "replcache.peerDomain" . }}:{{ .Values.ports.grpc }}
{{- end }}

{{/* failover.mode=lease: the pods elect their master on a Lease. */}}
{{- define "replcache.leaseMode" -}}
{{- if eq .Values.failover.mode "lease" }}true{{- end }}
{{- end }}

{{/* The Lease the pods elect their master on. */}}
{{- define "replcache.leaseName" -}}
{{ include "replcache.fullname" . }}-master
{{- end }}

{{/* gRPC addresses of every pod of the set, comma-separated: the candidates ask each other. */}}
{{- define "replcache.peers" -}}
{{- $fullname := include "replcache.fullname" . -}}
{{- $domain := include "replcache.peerDomain" . -}}
{{- $peers := list -}}
{{- range $i := until (int .Values.replicaCount) -}}
{{- $peers = append $peers (printf "%s-%d.%s:%v" $fullname $i $domain $.Values.ports.grpc) -}}
{{- end -}}
{{- join "," $peers -}}
{{- end }}

{{- define "replcache.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "replcache.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret with the auth tokens: an existing one, or the one this chart makes. */}}
{{- define "replcache.authSecretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else }}
{{- include "replcache.fullname" . }}-auth
{{- end }}
{{- end }}

{{- define "replcache.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Value combinations the schema cannot express. */}}
{{- define "replcache.validate" -}}
{{- if and (include "replcache.leaseMode" .) (ne .Values.podManagementPolicy "Parallel") }}
{{- fail "failover.mode=lease needs podManagementPolicy=Parallel: a fresh set elects its master only once every pod answers, and OrderedReady would start one pod at a time" }}
{{- end }}
{{- if and (include "replcache.leaseMode" .) (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "failover.mode=lease needs a ServiceAccount the chart can bind its Role to: set serviceAccount.create=true or serviceAccount.name" }}
{{- end }}
{{- if and .Values.tls.enabled (eq .Values.tls.grpc.clientAuth "require") (not .Values.tls.replication.clientCertificate) }}
{{- fail "tls.grpc.clientAuth=require needs tls.replication.clientCertificate=true: replicas must present a client certificate to the master" }}
{{- end }}
{{- if and .Values.auth.existingSecret (or .Values.auth.replicationToken .Values.auth.http.token) }}
{{- fail "auth.replicationToken and auth.http.token only fill the Secret the chart creates; with auth.existingSecret, put the tokens in that Secret" }}
{{- end }}
{{- end }}
