/**
 * The Docker engine of a site, read through the Docker Engine API on its unix socket: {@link
 * fr.acecinema.switchboard.docker.DockerEngine} (what Switchboard needs of an engine: facts,
 * containers, container events, and the creating, starting, stopping and removing of a Deployment's
 * replicas, labelled by {@link fr.acecinema.switchboard.docker.ReplicaLabels}), {@link
 * fr.acecinema.switchboard.docker.DockerJavaEngine} (the docker-java implementation) and {@link
 * fr.acecinema.switchboard.docker.ContainerLabels} (pure: a container's {@code switchboard.*}
 * labels into a validated registration, or errors naming the container, the label and the fix).
 */
package fr.acecinema.switchboard.docker;
