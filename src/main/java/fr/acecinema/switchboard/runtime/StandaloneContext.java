package fr.acecinema.switchboard.runtime;

import fr.acecinema.switchboard.api.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.ResourceOperations;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.dependent.managed.ManagedWorkflowAndDependentResourceContext;
import io.javaoperatorsdk.operator.processing.event.EventSourceRetriever;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * JOSDK's {@link Context} without a Kubernetes API server: secondary resources come from the {@link
 * ResourceStore}; what only exists on a cluster (client, informers, workflows) throws, so a
 * reconciler that reaches for it fails loudly in tests rather than quietly in production.
 */
final class StandaloneContext<R extends HasMetadata> implements Context<R> {
  private final R primary;
  private final Controller<R> controller;
  private final ResourceStore store;
  private final RetryInfo retryInfo;
  private final boolean deleted;

  StandaloneContext(
      R primary,
      Controller<R> controller,
      ResourceStore store,
      RetryInfo retryInfo,
      boolean deleted) {
    this.primary = primary;
    this.controller = controller;
    this.store = store;
    this.retryInfo = retryInfo;
    this.deleted = deleted;
  }

  @Override
  public Optional<RetryInfo> getRetryInfo() {
    return Optional.ofNullable(retryInfo);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <S> Set<S> getSecondaryResources(Class<S> type, boolean deduplicate) {
    BiFunction<R, ResourceStore, Set<?>> lookup = controller.secondaries().get(type);
    if (lookup == null) {
      throw new IllegalArgumentException(
          controller.kind() + " controller declares no secondary " + type.getSimpleName());
    }
    return (Set<S>) lookup.apply(primary, store);
  }

  @Override
  public <S> Stream<S> getSecondaryResourcesAsStream(Class<S> type, boolean deduplicate) {
    return getSecondaryResources(type, deduplicate).stream();
  }

  @Override
  public <S> Optional<S> getSecondaryResource(Class<S> type, String eventSourceName) {
    Set<S> all = getSecondaryResources(type);
    if (all.size() > 1) {
      throw new IllegalStateException(
          "more than one " + type.getSimpleName() + " for " + ResourceKey.of(primary));
    }
    return all.stream().findFirst();
  }

  @Override
  public R getPrimaryResource() {
    return primary;
  }

  @Override
  public boolean isNextReconciliationImminent() {
    return false;
  }

  @Override
  public boolean isPrimaryResourceDeleted() {
    return deleted;
  }

  @Override
  public boolean isPrimaryResourceFinalStateUnknown() {
    return false;
  }

  @Override
  public ControllerConfiguration<R> getControllerConfiguration() {
    throw clusterOnly("getControllerConfiguration");
  }

  @Override
  public ManagedWorkflowAndDependentResourceContext managedWorkflowAndDependentResourceContext() {
    throw clusterOnly("managedWorkflowAndDependentResourceContext");
  }

  @Override
  public EventSourceRetriever<R> eventSourceRetriever() {
    throw clusterOnly("eventSourceRetriever");
  }

  @Override
  public KubernetesClient getClient() {
    throw clusterOnly("getClient");
  }

  @Override
  public ResourceOperations<R> resourceOperations() {
    throw clusterOnly("resourceOperations");
  }

  @Override
  public ExecutorService getWorkflowExecutorService() {
    throw clusterOnly("getWorkflowExecutorService");
  }

  @Override
  public IndexedResourceCache<R> getPrimaryCache() {
    throw clusterOnly("getPrimaryCache");
  }

  private static UnsupportedOperationException clusterOnly(String what) {
    return new UnsupportedOperationException(
        what + " needs a Kubernetes API server; the standalone runtime has none");
  }
}
