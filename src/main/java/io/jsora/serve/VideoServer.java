package io.jsora.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP service: OpenAI's {@code /v1/videos} routes, {@code /v1/models}, {@code /health}, {@code
 * /openapi.json} and the page at {@code /}. Every route is registered through {@link #route}, which
 * also lists it in {@link #routes()}, so the OpenAPI document can be checked against what is
 * served.
 */
public final class VideoServer implements AutoCloseable {
  /** The longest {@code Prefer: wait=N} honoured. */
  public static final int MAX_WAIT_SECONDS = 300;

  /** The page's files inside the jar. */
  static final String WEB = "/io/jsora/serve/web";

  static final String OPENAPI = "/io/jsora/serve/openapi.json";

  private static final Logger LOG = LoggerFactory.getLogger(VideoServer.class);
  private static final Pattern WAIT =
      Pattern.compile("(?:^|[,;\\s])wait=([0-9]{1,9})(?:$|[,;\\s])");
  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  /** One served route, as the OpenAPI document lists it. */
  public record Route(String method, String path) {}

  private final ServeConfig config;
  private final VideoGenerator generator;
  private final JobStore store;
  private final JobRunner runner;
  private final Limits limits;
  private final ObjectMapper json;
  private final byte[] tokenDigest;
  private final List<Route> routes = new ArrayList<>();
  private final Javalin app;
  private final long startedAt = System.currentTimeMillis();
  private volatile boolean closing;

  private VideoServer(ServeConfig config, VideoGenerator generator) throws IOException {
    this.config = config;
    this.generator = generator;
    this.limits = Limits.of(generator.model(), config);
    this.store = JobStore.open(config.outputs());
    this.json = mapper();
    this.tokenDigest = config.token().map(VideoServer::sha256).orElse(null);
    this.runner = new JobRunner(store, generator, config.maxQueue(), config.maxConcurrent());
    this.app =
        Javalin.create(
            c -> {
              c.showJavalinBanner = false;
              c.startupWatcherEnabled = false;
              c.http.maxRequestSize = config.maxBodyBytes();
              // Jetty reuses header values seen earlier on a connection, matched ignoring case by
              // default:
              // a token differing only in case would then replace the one sent
              c.jetty.modifyHttpConfiguration(h -> h.setHeaderCacheCaseSensitive(true));
              c.jsonMapper(new JavalinJackson(json, false));
              c.staticFiles.add(
                  sf -> {
                    sf.hostedPath = "/";
                    sf.directory = WEB;
                    sf.location = Location.CLASSPATH;
                  });
              config
                  .corsOrigin()
                  .ifPresent(
                      origin ->
                          c.bundledPlugins.enableCors(
                              cors ->
                                  cors.addRule(
                                      rule -> {
                                        rule.allowHost(origin);
                                        rule.exposeHeader("Retry-After");
                                        rule.exposeHeader("Preference-Applied");
                                      })));
            });
    app.before(this::authorise);
    app.after(ctx -> ctx.header("X-Content-Type-Options", "nosniff"));
    app.exception(ApiException.class, (e, ctx) -> ctx.status(e.status()).json(e.body()));
    app.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          ApiException a =
              new ApiException(
                  e.getStatus(),
                  e.getStatus() == 404 ? "invalid_request_error" : "invalid_request_error",
                  null,
                  e.getStatus() == 404 ? "no_route" : "http_" + e.getStatus(),
                  e.getMessage());
          ctx.status(e.getStatus()).json(a.body());
        });
    app.exception(
        Exception.class,
        (e, ctx) -> {
          LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
          ctx.status(500)
              .json(
                  new ApiException(
                          500,
                          "server_error",
                          null,
                          "internal",
                          "internal error: " + JobRunner.describe(e))
                      .body());
        });
    app.error(
        404,
        ctx -> {
          if (ctx.result() == null || ctx.result().isEmpty()) {
            ctx.json(
                new ApiException(
                        404,
                        "invalid_request_error",
                        null,
                        "no_route",
                        "no route " + ctx.method() + " " + ctx.path())
                    .body());
          }
        });
    route(HandlerType.GET, "/health", this::health);
    route(HandlerType.GET, "/openapi.json", this::openapi);
    route(HandlerType.GET, "/v1/models", this::models);
    route(HandlerType.POST, "/v1/videos", this::create);
    route(HandlerType.GET, "/v1/videos", this::list);
    route(HandlerType.GET, "/v1/videos/{id}", ctx -> ctx.json(VideoObject.of(job(ctx))));
    route(HandlerType.DELETE, "/v1/videos/{id}", this::delete);
    route(HandlerType.GET, "/v1/videos/{id}/content", this::content);
    route(HandlerType.GET, "/v1/videos/{id}/events", this::events);
    route(HandlerType.POST, "/v1/videos/{id}/cancel", this::cancel);
  }

  /** Opens the store, starts the workers and binds the port. */
  public static VideoServer start(ServeConfig config, VideoGenerator generator) throws IOException {
    VideoServer s = new VideoServer(config, generator);
    try {
      s.app.start(config.host(), config.port());
    } catch (RuntimeException e) {
      s.runner.close();
      throw e;
    }
    return s;
  }

  /** The bound port. */
  public int port() {
    return app.port();
  }

  /** {@code http://host:port}. */
  public URI uri() {
    String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return URI.create("http://" + h + ":" + port());
  }

  /** Every API route served (the page's static files aside). */
  public List<Route> routes() {
    return List.copyOf(routes);
  }

  public Limits limits() {
    return limits;
  }

  private void route(HandlerType method, String path, Handler h) {
    routes.add(new Route(method.name(), path));
    app.addHttpHandler(method, path, h);
  }

  // ---- security

  private void authorise(Context ctx) {
    String p = ctx.path();
    boolean api = p.equals("/v1") || p.startsWith("/v1/") || p.equals("/openapi.json");
    if (tokenDigest == null || !api || ctx.method() == HandlerType.OPTIONS) {
      return;
    }
    String h = ctx.header("Authorization");
    String given =
        h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : null;
    // both sides hashed to 32 bytes, compared in constant time: neither the length nor a prefix
    // leaks
    if (given == null || !MessageDigest.isEqual(sha256(given), tokenDigest)) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiException(
          401,
          "authentication_error",
          null,
          given == null ? "missing_token" : "invalid_token",
          given == null
              ? "this server needs Authorization: Bearer TOKEN"
              : "the bearer token is not this server's");
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  // ---- routes

  private void health(Context ctx) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("status", closing ? "shutting_down" : "ok");
    h.put("model", generator.model().id());
    h.put("queued", runner.queued());
    h.put("running", runner.running());
    h.put("max_queue", config.maxQueue());
    h.put("uptime_seconds", (System.currentTimeMillis() - startedAt) / 1000);
    ctx.status(closing ? 503 : 200).json(h);
  }

  private void openapi(Context ctx) throws IOException {
    try (InputStream in = VideoServer.class.getResourceAsStream(OPENAPI)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI + " is missing from the jar");
      }
      ctx.contentType("application/json").result(in.readAllBytes());
    }
  }

  private void models(Context ctx) {
    ModelInfo m = generator.model();
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("id", m.id());
    card.put("object", "model");
    card.put("created", startedAt / 1000);
    card.put("owned_by", "jsora");
    card.put("arch", m.arch());
    card.put("dit", m.dit());
    card.put("compressor", m.compressor());
    card.put("text_encoder", m.textEncoder());
    card.put("defaults", limits.defaults());
    card.put("limits", limits);
    ctx.json(Map.of("object", "list", "data", List.of(card)));
  }

  private void create(Context ctx) throws IOException {
    CreateVideoRequest req = bind(ctx.body());
    JobParams params = limits.validate(req);
    Job job;
    try {
      job = runner.submit(params);
    } catch (ApiException e) {
      if (e.status() == 429) {
        ctx.header("Retry-After", Integer.toString(runner.retryAfterSeconds()));
      }
      throw e;
    }
    int wait = preferWait(ctx);
    if (wait > 0) {
      ctx.header("Preference-Applied", "wait=" + wait);
      job = awaitDone(job.id(), wait);
    }
    ctx.status(job.status().terminal() ? 200 : 202)
        .header("Location", "/v1/videos/" + job.id())
        .json(VideoObject.of(job));
  }

  private CreateVideoRequest bind(String body) {
    if (body == null || body.isBlank()) {
      throw ApiException.invalid(
          null, "the body must be a JSON object, e.g. {\"prompt\": \"a red circle moving left\"}");
    }
    try {
      CreateVideoRequest r = json.readValue(body, CreateVideoRequest.class);
      if (r == null) {
        throw ApiException.invalid(null, "the body must be a JSON object, not null");
      }
      return r;
    } catch (UnrecognizedPropertyException e) {
      throw ApiException.invalid(
          e.getPropertyName(),
          "unknown field '"
              + e.getPropertyName()
              + "'; known: "
              + e.getKnownPropertyIds().stream()
                  .map(Object::toString)
                  .sorted()
                  .collect(Collectors.joining(", ")));
    } catch (InvalidFormatException e) {
      String field = field(e);
      if (e.getTargetType() != null && e.getTargetType().isEnum()) {
        throw ApiException.invalid(
            field,
            field
                + ": '"
                + e.getValue()
                + "' is not one of "
                + Arrays.stream(e.getTargetType().getEnumConstants())
                    .map(Object::toString)
                    .toList());
      }
      throw ApiException.invalid(
          field,
          field
              + ": '"
              + e.getValue()
              + "' is not a "
              + e.getTargetType().getSimpleName().toLowerCase());
    } catch (JsonMappingException e) {
      String field = field(e);
      String why = e.getOriginalMessage().lines().findFirst().orElse("");
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof IllegalArgumentException && c.getMessage() != null) {
          why = c.getMessage(); // a setting's own check: an enum's allowed values, a record's bound
          break;
        }
      }
      throw ApiException.invalid(field, (field == null ? "body" : field) + ": " + why);
    } catch (JsonProcessingException e) {
      throw ApiException.invalid(
          null,
          "the body is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
  }

  private static String field(JsonMappingException e) {
    String f =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining("."));
    return f.isEmpty() ? null : f;
  }

  /** {@code Prefer: wait=N} (RFC 7240), capped; 0 when absent. */
  private static int preferWait(Context ctx) {
    String prefer = ctx.header("Prefer");
    if (prefer == null) {
      return 0;
    }
    Matcher m = WAIT.matcher(prefer.toLowerCase(java.util.Locale.ROOT));
    return m.find() ? (int) Math.min(MAX_WAIT_SECONDS, Long.parseLong(m.group(1))) : 0;
  }

  private Job awaitDone(UUID id, int seconds) {
    try {
      return store.done(id).get(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return store.get(id).orElseThrow(() -> ApiException.notFound("no video " + id));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "server_error", null, "interrupted", "interrupted while waiting");
    } catch (ExecutionException e) {
      throw ApiException.notFound("no video " + id);
    }
  }

  private void list(Context ctx) {
    int limit = DEFAULT_PAGE;
    String l = ctx.queryParam("limit");
    if (l != null) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_PAGE) {
        throw ApiException.invalid(
            "limit", "limit: '" + l + "', must be an integer in 1.." + MAX_PAGE);
      }
    }
    List<Job> all = store.newestFirst();
    int from = 0;
    String after = ctx.queryParam("after");
    if (after != null) {
      UUID a =
          Ids.parse(after)
              .orElseThrow(
                  () -> ApiException.invalid("after", "after: '" + after + "' is not a video id"));
      from = -1;
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).id().equals(a)) {
          from = i + 1;
          break;
        }
      }
      if (from < 0) {
        throw ApiException.invalid("after", "after: no video " + after);
      }
    }
    List<VideoObject> page =
        all.subList(Math.min(from, all.size()), Math.min(from + limit, all.size())).stream()
            .map(VideoObject::of)
            .toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("object", "list");
    body.put("data", page);
    body.put("first_id", page.isEmpty() ? null : page.get(0).id());
    body.put("last_id", page.isEmpty() ? null : page.get(page.size() - 1).id());
    body.put("has_more", from + limit < all.size());
    ctx.json(body);
  }

  private Job job(Context ctx) {
    String raw = ctx.pathParam("id");
    UUID id =
        Ids.parse(raw)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "no video '" + raw + "' (ids are UUIDs this server made)"));
    return store.get(id).orElseThrow(() -> ApiException.notFound("no video " + id));
  }

  private void content(Context ctx) throws IOException {
    Job j = job(ctx);
    Variant v = Variant.parse(ctx.queryParam("variant"));
    if (j.status() != VideoStatus.COMPLETED) {
      throw ApiException.conflict(
          "video " + j.id() + " is " + j.status() + "; its content exists once it is completed");
    }
    Path f = store.file(j.id(), v);
    if (!Files.isRegularFile(f)) {
      throw ApiException.notFound("video " + j.id() + " has no " + v.id() + " file");
    }
    ctx.header("Cache-Control", "private, max-age=3600");
    ctx.writeSeekableStream(Files.newInputStream(f), v.contentType(), Files.size(f));
  }

  private void cancel(Context ctx) throws IOException {
    Job j = job(ctx);
    if (!runner.cancel(j.id())) {
      throw ApiException.conflict(
          "video "
              + j.id()
              + " is already "
              + store.get(j.id()).map(Job::status).orElse(j.status()));
    }
    ctx.json(VideoObject.of(awaitDone(j.id(), 30)));
  }

  private void delete(Context ctx) throws IOException {
    Job j = job(ctx);
    if (runner.cancel(j.id())) {
      awaitDone(j.id(), 60); // a running job stops at its next step; its files go with it
    }
    store.delete(j.id());
    ctx.json(Map.of("id", j.id().toString(), "object", "video.deleted", "deleted", true));
  }

  /**
   * Server-sent events: {@code video} (the object, on each status change) and {@code progress}
   * (step k of n).
   */
  private void events(Context ctx) throws Exception {
    Job j = job(ctx); // 404 before the stream starts
    new SseHandler(client -> stream(j.id(), client)).handle(ctx);
  }

  private void stream(UUID id, SseClient client) {
    BlockingQueue<JobStore.Event> events = new LinkedBlockingQueue<>();
    try (AutoCloseable l = store.listen(id, events::add)) {
      Job now = store.get(id).orElse(null);
      if (now == null) {
        return;
      }
      client.sendEvent("video", json.writeValueAsString(VideoObject.of(now)));
      boolean ended = now.status().terminal();
      while (!ended && !closing && !client.terminated()) {
        JobStore.Event e = events.poll(1, TimeUnit.SECONDS);
        if (e == null) {
          client.sendComment("waiting");
          ended = store.get(id).isEmpty();
        } else if (e instanceof JobStore.Event.Step s) {
          client.sendEvent(
              "progress",
              json.writeValueAsString(
                  Map.of("step", s.step(), "total", s.total(), "progress", s.progress())));
        } else if (e instanceof JobStore.Event.Status s) {
          client.sendEvent("video", json.writeValueAsString(s.video()));
          ended = s.video().status().terminal();
        }
      }
    } catch (Exception e) {
      LOG.debug("event stream of {} ended: {}", id, e.toString());
    } finally {
      client.close();
    }
  }

  /**
   * Graceful stop: refuses new jobs, lets running ones finish within the grace period (or re-queues
   * them), ends the event streams and closes the port. The generator stays open (its owner closes
   * it).
   */
  @Override
  public void close() {
    closing = true;
    runner.shutdown(config.grace());
    app.stop();
  }

  /**
   * Jackson as the API binds: unknown fields, floats for integers and nulls for numbers refused.
   */
  static ObjectMapper mapper() {
    JsonMapper m =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    // OpenAI sends seconds as a string ("4"): a numeric string is accepted for floating-point
    // fields only
    m.coercionConfigFor(LogicalType.Float)
        .setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
    for (CoercionInputShape shape :
        new CoercionInputShape[] {
          CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean
        }) {
      m.coercionConfigFor(LogicalType.Textual)
          .setCoercion(shape, CoercionAction.Fail); // "prompt": 7 is a mistake, not "7"
    }
    return m;
  }
}
