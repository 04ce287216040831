package fr.acecinema.switchboard.postgres;

import java.time.Instant;

/**
 * A backend's health changing state.
 *
 * @param backend backend name
 * @param fromState previous state, or null for the first observation
 * @param toState new state (for example Healthy, Unhealthy, Unknown)
 * @param reason CamelCase reason (for example ProbeFailed)
 * @param message human-readable detail, or null
 * @param latencyMs latency of the probe that caused the change, or null when none answered
 * @param at when the change was observed
 */
public record HealthTransition(
    String backend,
    String fromState,
    String toState,
    String reason,
    String message,
    Integer latencyMs,
    Instant at) {}
