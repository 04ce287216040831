package fr.acecinema.switchboard.docker;

/**
 * The engine could not be asked: its socket is missing, it refused or dropped the connection, it
 * did not answer in time, or it answered an error. Checked, because an engine that stops or
 * restarts is an ordinary event for a site agent, not a bug.
 */
public final class DockerEngineException extends Exception {
  public DockerEngineException(String message) {
    super(message);
  }

  public DockerEngineException(String message, Throwable cause) {
    super(message, cause);
  }
}
