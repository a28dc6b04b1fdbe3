import Foundation
import ZooKeeperTesting

/// The official Java client (`org.apache.zookeeper.ZooKeeper`, from the same package as the server)
/// running the same workload as the Swift client, for `roost-bench zookeeper`: the source below is
/// compiled with `javac` into a temporary directory and run with `java`.
enum ZooKeeperJavaClient {
    /// Sequential phases use the synchronous API; pipelined phases the asynchronous API with a
    /// semaphore holding `outstanding` requests in flight, as Java applications pipeline.
    /// Prints one line per phase: `phase seconds meanMicros p99Micros cpuSeconds`.
    static let source = #"""
    import java.lang.management.ManagementFactory;
    import java.util.*;
    import java.util.concurrent.*;
    import org.apache.zookeeper.*;
    import org.apache.zookeeper.data.Stat;

    /// Runs the phases; arguments: connect string, prefix, sequential, pipelined, outstanding, data size, warm-up.
    public class ZkBench {
        static ZooKeeper zk;
        static byte[] data;

        /// Connects, warms up, runs the four phases and prints one line per phase.
        public static void main(String[] args) throws Exception {
            String connect = args[0], prefix = args[1];
            int sequential = Integer.parseInt(args[2]), pipelined = Integer.parseInt(args[3]);
            int outstanding = Integer.parseInt(args[4]), warmup = Integer.parseInt(args[6]);
            data = new byte[Integer.parseInt(args[5])];
            CountDownLatch connected = new CountDownLatch(1);
            zk = new ZooKeeper(connect, 10000, event -> {
                if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
            });
            if (!connected.await(15, TimeUnit.SECONDS)) throw new RuntimeException("not connected");
            zk.create(prefix, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.create(prefix + "/warm", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            pipelinedPhase(null, true, prefix + "/warm/n", warmup, outstanding);
            pipelinedPhase(null, false, prefix + "/warm/n", warmup, outstanding);
            sequentialPhase("create-sequential", true, prefix + "/s", sequential);
            pipelinedPhase("create-pipelined", true, prefix + "/p", pipelined, outstanding);
            sequentialPhase("get-sequential", false, prefix + "/s", sequential);
            pipelinedPhase("get-pipelined", false, prefix + "/p", pipelined, outstanding);
            zk.close();
        }

        static void sequentialPhase(String name, boolean create, String base, int count) throws Exception {
            long[] latencies = new long[count];
            long cpu = cpuNanos();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                if (create) zk.create(base + i, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                else zk.getData(base + i, false, null);
                latencies[i] = System.nanoTime() - t0;
            }
            report(name, System.nanoTime() - start, cpuNanos() - cpu, latencies);
        }

        static void pipelinedPhase(String name, boolean create, String base, int count, int outstanding) throws Exception {
            long[] latencies = new long[count];
            Semaphore window = new Semaphore(outstanding);
            CountDownLatch done = new CountDownLatch(count);
            List<Integer> errors = Collections.synchronizedList(new ArrayList<>());
            long cpu = cpuNanos();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                window.acquire();
                final int index = i;
                final long t0 = System.nanoTime();
                if (create) {
                    zk.create(base + i, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, (rc, path, ctx, created) -> {
                        latencies[index] = System.nanoTime() - t0;
                        if (rc != 0) errors.add(rc);
                        window.release();
                        done.countDown();
                    }, null);
                } else {
                    zk.getData(base + i, false, (rc, path, ctx, bytes, stat) -> {
                        latencies[index] = System.nanoTime() - t0;
                        if (rc != 0) errors.add(rc);
                        window.release();
                        done.countDown();
                    }, null);
                }
            }
            done.await();
            if (!errors.isEmpty()) throw new RuntimeException(name + ": " + errors.size() + " errors, first " + errors.get(0));
            report(name, System.nanoTime() - start, cpuNanos() - cpu, latencies);
        }

        /// CPU time of the whole JVM (all threads), as the operating system counts it.
        static long cpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        static void report(String name, long elapsed, long cpu, long[] latencies) {
            if (name == null) return;
            Arrays.sort(latencies);
            double mean = Arrays.stream(latencies).average().orElse(0) / 1000.0;
            double p99 = latencies[Math.min(latencies.length - 1, (int) Math.ceil(latencies.length * 0.99) - 1)] / 1000.0;
            System.out.printf(Locale.ROOT, "%s %.6f %.1f %.1f %.6f%n", name, elapsed / 1e9, mean, p99, cpu / 1e9);
        }
    }
    """#

    /// Compiles and runs the program against `connectString`; returns its phases.
    static func run(
        connectString: String, prefix: String, sequential: Int, pipelined: Int, outstanding: Int, dataSize: Int, warmup: Int
    ) throws -> [ZooKeeperBenchmark.Phase] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-zk-java-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try source.write(toFile: directory + "/ZkBench.java", atomically: true, encoding: .utf8)
        let javac = URL(fileURLWithPath: ZooKeeperInstallation.java).deletingLastPathComponent().appendingPathComponent("javac").path
        _ = try runProcess(javac, ["-nowarn", "-cp", ZooKeeperInstallation.jar, "-d", directory, directory + "/ZkBench.java"])
        let nop = "/usr/share/java/slf4j-nop.jar"
        let classPath = [directory, ZooKeeperInstallation.jar] + (FileManager.default.fileExists(atPath: nop) ? [nop] : [])
        let output = try runProcess(ZooKeeperInstallation.java, [
            "-Xmx1g", "-cp", classPath.joined(separator: ":"), "ZkBench",
            connectString, prefix, "\(sequential)", "\(pipelined)", "\(outstanding)", "\(dataSize)", "\(warmup)",
        ])
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 5, let seconds = Double(fields[1]), let mean = Double(fields[2]), let p99 = Double(fields[3]),
                let cpu = Double(fields[4])
            else { return nil }
            let operations = fields[0].hasSuffix("sequential") ? sequential : pipelined
            return ZooKeeperBenchmark.Phase(
                name: String(fields[0]), operations: operations, seconds: seconds, meanMicroseconds: mean, p99Microseconds: p99, cpuSeconds: cpu)
        }
    }

    /// Runs a program to its end and returns its standard output; its error output is passed through.
    private static func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ZooKeeperTestingError("\(executable) \(arguments.prefix(3).joined(separator: " ")) … exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
