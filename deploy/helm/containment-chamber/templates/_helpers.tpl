{{/*
Names, labels, the image, and the signer's effective settings.
A setting is read the way the signer reads it: the config value, overridden by a literal
CONTAINMENT_<PATH> variable in .Values.env (e.g. CONTAINMENT_ANTI_SLASHING__BACKEND), else the signer's default.
*/}}

{{- define "containment-chamber.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "containment-chamber.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "containment-chamber.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "containment-chamber.selectorLabels" -}}
app.kubernetes.io/name: {{ include "containment-chamber.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "containment-chamber.labels" -}}
helm.sh/chart: {{ include "containment-chamber.chart" . }}
{{ include "containment-chamber.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.enclave.enabled | ternary "enclave-controller" "signer" }}
{{- end }}

{{- define "containment-chamber.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "containment-chamber.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image: v<appVersion> by default; enclave mode runs the -nitro image of the same release. */}}
{{- define "containment-chamber.image" -}}
{{- $tag := .Values.image.tag | default (printf "v%s" .Chart.AppVersion) -}}
{{- if and .Values.enclave.enabled (not (hasSuffix "-nitro" $tag)) -}}
{{- $tag = printf "%s-nitro" $tag -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end }}

{{/* (list $ "a.b.c" default) → the effective value of config key a.b.c, as a string. */}}
{{- define "containment-chamber.setting" -}}
{{- $root := index . 0 -}}
{{- $path := index . 1 -}}
{{- $value := index . 2 -}}
{{- $node := $root.Values.config -}}
{{- $found := true -}}
{{- range (splitList "." $path) -}}
{{- if and $found (kindIs "map" $node) (hasKey $node .) -}}
{{- $node = index $node . -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- if and $found (not (kindIs "map" $node)) (not (kindIs "invalid" $node)) -}}
{{- $value = $node -}}
{{- end -}}
{{- $envName := printf "CONTAINMENT_%s" (upper (replace "." "__" $path)) -}}
{{- range $root.Values.env -}}
{{- if and (eq (toString .name) $envName) (hasKey . "value") -}}
{{- $value = .value -}}
{{- end -}}
{{- end -}}
{{- $value -}}
{{- end }}

{{/* The configuration file the chart mounts: .Values.config with the data paths on the chart's volume. */}}
{{- define "containment-chamber.configFile" -}}
{{- $config := deepCopy (default dict .Values.config) -}}
{{- $antiSlashing := default dict (get $config "anti_slashing") -}}
{{- if not (hasKey $antiSlashing "path") -}}
{{- $_ := set $antiSlashing "path" "/data/slashing.sqlite" -}}
{{- end -}}
{{- $_ := set $config "anti_slashing" $antiSlashing -}}
{{- $signerState := default dict (get $config "signer_state") -}}
{{- if not (hasKey $signerState "path") -}}
{{- $_ := set $signerState "path" "/data/state" -}}
{{- end -}}
{{- $_ := set $config "signer_state" $signerState -}}
{{- toPrettyJson $config -}}
{{- end }}

{{/* Port numbers, from the configuration (the signer's defaults otherwise). */}}
{{- define "containment-chamber.httpPort" -}}
{{- include "containment-chamber.setting" (list . "server.listen_port" 9000) -}}
{{- end }}
{{- define "containment-chamber.tlsPort" -}}
{{- include "containment-chamber.setting" (list . "tls.listen_port" 9443) -}}
{{- end }}
{{- define "containment-chamber.metricsPort" -}}
{{- include "containment-chamber.setting" (list . "metrics.listen_port" 3000) -}}
{{- end }}
{{- define "containment-chamber.tlsEnabled" -}}
{{- if ne (include "containment-chamber.setting" (list . "tls.mode" "disabled")) "disabled" }}true{{ end -}}
{{- end }}

{{/* The most signers that may run at once (the HPA's ceiling when it scales the Deployment). */}}
{{- define "containment-chamber.maxReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.maxReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end -}}
{{- end }}

{{/* config.tee.nitro.egress.endpoints as a JSON list ("[]" when absent). */}}
{{- define "containment-chamber.egressEndpoints" -}}
{{- $endpoints := list -}}
{{- with .Values.config.tee }}{{ with .nitro }}{{ with .egress }}{{ with .endpoints }}{{ $endpoints = . }}{{ end }}{{ end }}{{ end }}{{ end -}}
{{- toJson $endpoints -}}
{{- end }}
