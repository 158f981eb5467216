package io.jsora.parallel;

/**
 * Test worker for the launcher: {@code env} prints the distributed variables; {@code exit R C}
 * makes rank R exit with status C while the others wait; {@code sleep} prints "ready" and waits.
 * Waiting workers say so from a shutdown hook when a signal stops them.
 */
public final class LaunchProbe {
  private LaunchProbe() {}

  public static void main(String[] args) throws Exception {
    String rank = System.getenv("RANK");
    switch (args[0]) {
      case "env" -> {
        StringBuilder b = new StringBuilder();
        for (String v :
            new String[] {
              "RANK",
              "WORLD_SIZE",
              "LOCAL_RANK",
              "LOCAL_WORLD_SIZE",
              "MASTER_ADDR",
              "MASTER_PORT",
              "GROUP_RANK"
            }) {
          b.append(b.length() == 0 ? "" : " ").append(v).append('=').append(System.getenv(v));
        }
        System.out.println(b);
        System.err.println("hello on stderr");
        DistEnv parsed = DistEnv.parse(System.getenv());
        System.out.println(
            "parsed " + parsed.rank() + "/" + parsed.worldSize() + " from " + parsed.source());
      }
      case "exit" -> {
        if (rank.equals(args[1])) {
          System.out.println("exiting with " + args[2]);
          System.exit(Integer.parseInt(args[2]));
        }
        waitForSignal();
      }
      case "sleep" -> waitForSignal();
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  private static void waitForSignal() throws InterruptedException {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("shutdown hook ran");
                  System.out.flush();
                }));
    System.out.println("ready");
    System.out.flush();
    Thread.sleep(120_000);
  }
}
