// A single-node OpenSearch 2.19.x for flusso's tests, started from Maven Central jars.
// Usage: java -cp '<classes>:<lib>/*' EmbeddedOpenSearch <home dir> <http port>
// Constructing a Node directly skips Bootstrap: no root check, no SecurityManager,
// no bootstrap checks, no jar-hell scan. See the spec opensearch-test-node.md (shared/spec).

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

public final class EmbeddedOpenSearch {
    /** Classpath plugins (2.x class names); every one of them is required. */
    private static final String[] PLUGINS = {
        "org.opensearch.transport.Netty4Plugin",
        "org.opensearch.analysis.common.CommonAnalysisPlugin",
        "org.opensearch.painless.PainlessPlugin",
        "org.opensearch.index.mapper.MapperExtrasPlugin",
    };

    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private static void die(String msg, Throwable t) {
        System.err.println("EmbeddedOpenSearch: FATAL: " + msg);
        if (t != null) t.printStackTrace();
        System.err.flush();
        Runtime.getRuntime().halt(1);
    }

    public static void main(String[] args) {
        if (args.length != 2) die("usage: EmbeddedOpenSearch <home dir> <http port>", null);
        Path home = Paths.get(args[0]).toAbsolutePath();
        String port = args[1];
        try {
            Files.createDirectories(home.resolve("config"));
            Settings.Builder builder = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", "flusso-test")
                .put("node.name", "node-1")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", port)
                .put("transport.port", "9300-9400")
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                // one node: indices without an explicit replica count go green
                .put("cluster.default_number_of_replicas", 0)
                .put("logger.level", System.getProperty("flusso.os.log.level", "INFO"));
            // Extra node settings for tests: whitespace-separated key=value pairs
            // (tests/opensearch/start.sh passes OS_SETTINGS here).
            for (String kv : System.getProperty("flusso.os.settings", "").trim().split("\\s+")) {
                if (kv.isEmpty()) continue;
                int eq = kv.indexOf('=');
                if (eq <= 0) die("bad setting (want key=value): " + kv, null);
                builder.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            Settings settings = builder.build();
            LogConfigurator.configureWithoutConfig(settings);

            List<Class<? extends Plugin>> plugins = new ArrayList<>();
            for (String name : PLUGINS) {
                try {
                    plugins.add(Class.forName(name).asSubclass(Plugin.class));
                } catch (Throwable t) {
                    die("required plugin class " + name + " did not load: " + t, t);
                }
            }

            Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), home.resolve("config"), () -> "node-1");
            Node node = new EmbeddedNode(env, plugins);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                    node.awaitClose(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "flusso-os-shutdown"));
            node.start();
            // Fail loudly if HTTP is not bound on the requested port.
            String bound = null;
            try {
                bound = String.valueOf(node.injector().getInstance(HttpServerTransport.class)
                    .boundAddress().publishAddress());
            } catch (Throwable t) {
                die("node started without an HTTP server: " + t, t);
            }
            if (!bound.endsWith(":" + port)) die("HTTP bound to " + bound + ", expected port " + port, null);
            System.out.println("EmbeddedOpenSearch: node started, http://" + bound);
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            die("node failed to start: " + t, t);
        }
    }
}
