/**
 * Health probing adapter: {@link fr.acecinema.switchboard.probe.Prober} runs one HTTP or TCP probe
 * through the process's shared OkHttpClient, {@link fr.acecinema.switchboard.probe.HealthTracker}
 * turns results into a Healthy/Unhealthy state with hysteresis, and {@link
 * fr.acecinema.switchboard.probe.ProbeScheduler} runs one probe loop per backend on virtual
 * threads.
 */
package fr.acecinema.switchboard.probe;
