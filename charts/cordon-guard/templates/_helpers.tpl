{{/*
The chart renders the objects of manifests/ (copied into files/ by `make manifests`), changing
only what the values change: with the defaults, the objects of deploy/cordon-guard.yaml.
*/}}

{{/* Refuses values that would install a weaker or broken guard, with the reason. */}}
{{- define "cordon-guard.validate" -}}
{{- if ne .Release.Namespace "cordon-guard" -}}
{{- fail (printf "cordon-guard installs into the namespace cordon-guard (its webhooks, flags and self-protection policy name it), not %q: helm install --namespace cordon-guard" .Release.Namespace) -}}
{{- end -}}
{{- if and (eq .Values.policy.mode "preserve") (not .Values.ownershipWebhook.enabled) -}}
{{- fail "policy.mode preserve repairs writes through the ownership webhook (/mutate): set ownershipWebhook.enabled true, or choose another mode" -}}
{{- end -}}
{{- if and (eq .Values.certificates.source "existingSecret") (not .Values.certificates.existingSecret.caCert) -}}
{{- fail "certificates.source existingSecret needs certificates.existingSecret.caCert, the PEM CA that signed the Secret's certificate (--set-file certificates.existingSecret.caCert=ca.crt)" -}}
{{- end -}}
{{- end -}}

{{/* The image: repository and tag, the tag defaulting to the chart's appVersion. */}}
{{- define "cordon-guard.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The Secret cordon-guard serves: its own (selfManaged, certManager) or the operator's. */}}
{{- define "cordon-guard.tlsSecretName" -}}
{{- if eq .Values.certificates.source "existingSecret" -}}
{{- .Values.certificates.existingSecret.name -}}
{{- else -}}
cordon-guard-tls
{{- end -}}
{{- end -}}

{{/*
A webhook configuration of files/base/ as an object, with the policy's maintenance key in its
matchConditions and its CA from the certificate source. Called with (list $ "FILE").
*/}}
{{- define "cordon-guard.webhookConfiguration" -}}
{{- $root := index . 0 -}}
{{- $text := $root.Files.Get (index . 1) -}}
{{- $key := $root.Values.policy.maintenanceAnnotation -}}
{{- $configuration := $text | replace "'cordon-guard.io/maintenance'" (printf "'%s'" $key) | fromYaml -}}
{{- if eq $root.Values.certificates.source "certManager" -}}
{{- $annotations := $configuration.metadata.annotations | default dict -}}
{{- $_ := set $annotations "cert-manager.io/inject-ca-from" "cordon-guard/cordon-guard-serving" -}}
{{- $_ := set $configuration.metadata "annotations" $annotations -}}
{{- else if eq $root.Values.certificates.source "existingSecret" -}}
{{- range $configuration.webhooks -}}
{{- $_ := set .clientConfig "caBundle" ($root.Values.certificates.existingSecret.caCert | b64enc) -}}
{{- end -}}
{{- end -}}
{{- toYaml $configuration -}}
{{- end -}}

{{/* The name of the objects that are cordon-guard's own (manifests/base names them all so). */}}
{{- define "cordon-guard.fullname" -}}
cordon-guard
{{- end -}}

{{/* The labels every object of manifests/base carries. */}}
{{- define "cordon-guard.labels" -}}
app.kubernetes.io/name: cordon-guard
app.kubernetes.io/part-of: cordon-guard
{{- end -}}

{{/* The pods' labels that the Service selects (manifests/base/service.yaml). */}}
{{- define "cordon-guard.selectorLabels" -}}
app.kubernetes.io/name: cordon-guard
app.kubernetes.io/component: webhook
{{- end -}}
