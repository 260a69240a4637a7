{{- define "throughline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "throughline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "throughline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "throughline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "throughline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "throughline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "throughline.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret the DSN and tokens come from. */}}
{{- define "throughline.clickhouseSecret" -}}
{{- if .Values.clickhouse.existingSecret -}}{{ .Values.clickhouse.existingSecret }}{{- else -}}{{ include "throughline.fullname" . }}{{- end -}}
{{- end -}}
{{- define "throughline.tokensSecret" -}}
{{- if .Values.apiTokens.existingSecret -}}{{ .Values.apiTokens.existingSecret }}{{- else -}}{{ include "throughline.fullname" . }}{{- end -}}
{{- end -}}

{{- define "throughline.checkSecrets" -}}
{{- if and (not .Values.secret.create) (or (not .Values.clickhouse.existingSecret) (not .Values.apiTokens.existingSecret)) -}}
{{- fail "set clickhouse.existingSecret and apiTokens.existingSecret (Secrets holding the ClickHouse DSN and the API tokens), or secret.create=true with secret.clickhouseUrl and secret.apiTokens" -}}
{{- end -}}
{{- if and .Values.secret.create (or (not .Values.secret.clickhouseUrl) (not .Values.secret.apiTokens)) -}}
{{- fail "secret.create needs secret.clickhouseUrl and secret.apiTokens" -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the API and the migration Job. */}}
{{- define "throughline.env" -}}
- name: THROUGHLINE_CLICKHOUSE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "throughline.clickhouseSecret" . }}
      key: {{ if .Values.clickhouse.existingSecret }}{{ .Values.clickhouse.secretKey }}{{ else }}clickhouse-url{{ end }}
- name: THROUGHLINE_API_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ include "throughline.tokensSecret" . }}
      key: {{ if .Values.apiTokens.existingSecret }}{{ .Values.apiTokens.secretKey }}{{ else }}api-tokens{{ end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
