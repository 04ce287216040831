/**
 * The Switchboard resource model, group {@code switchboard.acecinema.fr}, version {@code v1alpha1}:
 * {@link fr.acecinema.switchboard.api.v1alpha1.Site}, {@link
 * fr.acecinema.switchboard.api.v1alpha1.Service} and {@link
 * fr.acecinema.switchboard.api.v1alpha1.Backend}.
 *
 * <p>These classes are the source of truth: {@code crds/} is generated from them by the build, and
 * the manifest validator checks documents against that generated schema.
 */
package fr.acecinema.switchboard.api.v1alpha1;
