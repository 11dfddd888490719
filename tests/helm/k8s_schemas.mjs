// Offline validation of rendered objects against the Kubernetes OpenAPI schemas (npm kubernetes-models, and
// @kubernetes-models/prometheus-operator for the ServiceMonitor). An object of a kind not listed here is an
// error: a new template must come with its schema.
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const models = new Map(
  [Deployment, HorizontalPodAutoscaler, PodDisruptionBudget, PersistentVolumeClaim, Secret, Service, ServiceAccount, ServiceMonitor]
    .map((m) => [`${m.apiVersion}/${m.kind}`, m]),
);

export function validateObject(object) {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = models.get(key);
  if (!Model) throw new Error(`no schema for rendered ${key} (add its model to tests/helm/k8s_schemas.mjs)`);
  try {
    new Model(object).validate();
  } catch (e) {
    throw new Error(`${key} ${object.metadata?.name} does not match the Kubernetes schema: ${e.message}`);
  }
}
