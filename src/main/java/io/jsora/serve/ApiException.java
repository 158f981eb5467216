package io.jsora.serve;

/**
 * An error answered to the client as OpenAI does: {@code {"error": {"message", "type", "param",
 * "code"}}} with an HTTP status.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;

  public ApiException(int status, String type, String param, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 for a field whose value is not accepted; the message names the field, value and limit. */
  public static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_request_error", param, "invalid_value", message);
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, "invalid_request_error", null, "not_found", what);
  }

  public static ApiException conflict(String message) {
    return new ApiException(409, "invalid_request_error", null, "conflict", message);
  }

  public int status() {
    return status;
  }

  /** The JSON body. */
  public ErrorBody body() {
    return new ErrorBody(new ErrorBody.Detail(getMessage(), type, param, code));
  }

  /** The body of every error response. */
  public record ErrorBody(@com.fasterxml.jackson.annotation.JsonProperty("error") Detail error) {
    /**
     * @param message what is wrong, naming the field, the value and the limit where there is one
     * @param type {@code invalid_request_error}, {@code authentication_error}, {@code
     *     rate_limit_error}, {@code server_error}
     * @param param the request field at fault, or null
     * @param code a short machine-readable reason
     */
    public record Detail(
        @com.fasterxml.jackson.annotation.JsonProperty("message") String message,
        @com.fasterxml.jackson.annotation.JsonProperty("type") String type,
        @com.fasterxml.jackson.annotation.JsonProperty("param") String param,
        @com.fasterxml.jackson.annotation.JsonProperty("code") String code) {}
  }
}
