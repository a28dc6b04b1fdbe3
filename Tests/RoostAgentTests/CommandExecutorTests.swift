import Foundation
import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The command executor runs tasks as real processes in sandboxes and reports their lives.
struct CommandExecutorTests {
    @Test func taskRunsInItsSandboxAndFinishes() async throws {
        try await withExecutor { executor, driver, directory in
            let task = shellTask(
                "hello", #"echo "out:$ROOST_TASK_ID"; echo "err" >&2; echo "sandbox:$ROOST_SANDBOX"; echo "greeting:$GREETING"; echo "pwd:$(pwd -P)"; echo "ports:$PORT0,$PORT1,$PORT,$PORTS""#,
                environment: ["GREETING": "hi there"], workingDirectory: "work/dir", resources: "cpus:0.1;mem:32;ports:[31000-31001]")
            try await executor.launch(driver, task: task)
            let finished = try await driver.waitFor(state: .finished, task: "hello")
            #expect(finished.exitCode == 0)
            #expect(finished.message == "exited with code 0")
            #expect(await driver.states(for: "hello") == [.starting, .running, .finished])

            let sandbox = "\(directory)/work/frameworks/framework-1/executors/executor-1/runs/hello"
            let realSandbox = URL(fileURLWithPath: sandbox).resolvingSymlinksInPath().path
            let stdout = contents(of: sandbox + "/stdout")
            #expect(stdout.contains("out:hello\n"))
            #expect(stdout.contains("sandbox:\(sandbox)\n"))
            #expect(stdout.contains("greeting:hi there\n"))
            #expect(stdout.contains("pwd:\(realSandbox)/work/dir\n"))
            #expect(stdout.contains("ports:31000,31001,31000,31000,31001\n"))
            #expect(contents(of: sandbox + "/stderr") == "err\n")
        }
    }

    @Test func nonZeroExitIsReportedFailedWithItsCode() async throws {
        try await withExecutor { executor, driver, _ in
            try await executor.launch(driver, task: shellTask("three", "echo failing; exit 3"))
            let failed = try await driver.waitFor(state: .failed, task: "three")
            #expect(failed.exitCode == 3)
            #expect(failed.reason == .commandExecutorFailed)
            #expect(failed.message == "exited with code 3")
            #expect(await driver.states(for: "three") == [.starting, .running, .failed])
        }
    }

    @Test func deathBySignalIsReportedFailed() async throws {
        try await withExecutor { executor, driver, _ in
            try await executor.launch(driver, task: shellTask("suicide", "kill -USR1 $$"))
            let failed = try await driver.waitFor(state: .failed, task: "suicide")
            #expect(failed.reason == .commandExecutorFailed)
            #expect(failed.message == "terminated by signal \(SIGUSR1)")
            #expect(failed.exitCode == nil)
        }
    }

    @Test func missingProgramIsAContainerLaunchFailure() async throws {
        try await withExecutor { executor, driver, _ in
            let task = TaskInfo(id: "missing", resources: "cpus:0.1", command: .argv(["roost-no-such-program", "--flag"]))
            try await executor.launch(driver, task: task)
            let failed = try await driver.waitFor(state: .failed, task: "missing")
            #expect(failed.reason == .containerLaunchFailed)
            #expect(failed.message?.contains("'roost-no-such-program' was not found in PATH") == true, "\(failed.message ?? "")")
            #expect(await executor.runningTaskIDs.isEmpty)
        }
    }

    /// A launch that fails before the process starts (here, a working directory outside the
    /// sandbox) leaves a sandbox with its `stdout` and `stderr`, as every other launch.
    @Test func aFailedLaunchStillLeavesTheSandboxFiles() async throws {
        try await withExecutor { executor, driver, directory in
            var task = shellTask("escaping", "true")
            task.workingDirectory = "../elsewhere"
            try await executor.launch(driver, task: task)
            let failed = try await driver.waitFor(state: .failed, task: "escaping")
            #expect(failed.reason == .containerLaunchFailed)
            let files = try FileManager.default.subpathsOfDirectory(atPath: directory + "/work").filter { $0.contains("escaping/") }.sorted()
            #expect(files.map { String($0.split(separator: "/").last!) } == ["stderr", "stdout"], "\(files)")
        }
    }

    @Test func uncreatableSandboxIsAContainerLaunchFailure() async throws {
        try await withTemporaryDirectory { directory in
            // A regular file where the work directory should be.
            try writeFile(directory + "/work", "not a folder")
            let executor = CommandExecutor(configuration: .init(workDirectory: directory + "/work"))
            let driver = RecordingDriver()
            try await executor.launch(driver, task: shellTask("nowhere", "true"))
            let failed = try await driver.waitFor(state: .failed, task: "nowhere")
            #expect(failed.reason == .containerLaunchFailed)
            #expect(failed.message?.contains("cannot create the sandbox") == true)
            #expect(failed.message?.contains("'\(directory)/work'") == true, "\(failed.message ?? "")")
            #expect(failed.message?.contains("not a folder") == true, "\(failed.message ?? "")")
            await executor.shutdown(driver, gracePeriod: .zero)
        }
    }

    @Test func launchRefusesTasksItCannotRun() async throws {
        try await withExecutor { executor, driver, _ in
            let noCommand = TaskInfo(id: "custom", resources: "cpus:0.1", executor: ExecutorInfo(id: "e", name: "custom"))
            await #expect(throws: CommandExecutorError.self) { try await executor.launch(driver, task: noCommand) }

            try await executor.launch(driver, task: shellTask("twice", "sleep 1000"))
            let error = await #expect(throws: CommandExecutorError.self) {
                try await executor.launch(driver, task: shellTask("twice", "true"))
            }
            #expect(error?.code == .duplicateTask)
            await executor.shutdown(driver, gracePeriod: .zero)
            let afterShutdown = await #expect(throws: CommandExecutorError.self) {
                try await executor.launch(driver, task: shellTask("late", "true"))
            }
            #expect(afterShutdown?.code == .shutDown)
        }
    }

    @Test func killReachesTheWholeProcessTree() async throws {
        try await withExecutor { executor, driver, directory in
            // Two background sleeps and a shell waiting for them; all die on SIGTERM.
            let pidFile = directory + "/tree.pids"
            let task = shellTask("tree", "sleep 1000 & echo $! >> \(pidFile); sleep 1000 & echo $! >> \(pidFile); echo $$ >> \(pidFile); wait")
            try await executor.launch(driver, task: task)
            try await waitUntil("the tree writing its 3 PIDs") { pids(in: pidFile).count == 3 }
            let pgid = try #require(await executor.processRecords()["tree"]?.processGroupID)
            defer { Processes.killGroup(pgid) }
            #expect(Processes.liveMembers(ofGroup: pgid).count == 3)

            // The grace period is long: the signal in the message says whether SIGTERM alone did it.
            await executor.kill(driver, taskID: "tree", gracePeriod: .seconds(30))
            let killing = try await driver.waitFor(state: .killing, task: "tree")
            #expect(killing.message == "kill requested")
            let killed = try await driver.waitFor(state: .killed, task: "tree")
            #expect(killed.message?.contains("terminated by signal \(SIGTERM)") == true, "\(killed.message ?? "")")
            #expect(await driver.states(for: "tree") == [.starting, .running, .killing, .killed])
            try await Processes.expectGroupGone(pgid, pids: pids(in: pidFile))
        }
    }

    @Test func processIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        try await withExecutor { executor, driver, directory in
            // The background sleeps die on SIGTERM; the shell and its last sleep ignore it.
            let pidFile = directory + "/stubborn.pids"
            let task = shellTask(
                "stubborn",
                #"sleep 1000 & echo $! >> \#(pidFile); sleep 1000 & echo $! >> \#(pidFile); trap "" TERM; echo $$ >> \#(pidFile); sleep 1000"#)
            try await executor.launch(driver, task: task)
            try await waitUntil("the tree writing its 3 PIDs") { pids(in: pidFile).count == 3 }
            let pgid = try #require(await executor.processRecords()["stubborn"]?.processGroupID)
            defer { Processes.killGroup(pgid) }

            let grace = Duration.milliseconds(200)
            let start = ContinuousClock.now
            await executor.kill(driver, taskID: "stubborn", gracePeriod: grace)
            let killed = try await driver.waitFor(state: .killed, task: "stubborn")
            let took = ContinuousClock.now - start
            #expect(took >= grace, "the kill took \(took), less than the grace period")
            #expect(killed.message?.contains("terminated by signal \(SIGKILL)") == true, "\(killed.message ?? "")")
            try await Processes.expectGroupGone(pgid, pids: pids(in: pidFile))
        }
    }

    @Test func sigtermReachesTheTaskSoItCanStopCleanly() async throws {
        try await withExecutor { executor, driver, directory in
            let marker = directory + "/got-term"
            let ready = directory + "/ready"
            let task = shellTask("graceful", "trap 'echo got-term > \(marker); exit 0' TERM; echo ready > \(ready); sleep 1000 & wait")
            try await executor.launch(driver, task: task)
            try await waitUntil("the task installing its trap") { contents(of: ready) == "ready\n" }
            let pgid = try #require(await executor.processRecords()["graceful"]?.processGroupID)
            defer { Processes.killGroup(pgid) }

            // Exit code 0 and the trap's marker show SIGTERM stopped it, not SIGKILL after the grace.
            await executor.kill(driver, taskID: "graceful", gracePeriod: .seconds(30))
            let killed = try await driver.waitFor(state: .killed, task: "graceful")
            #expect(contents(of: marker) == "got-term\n", "the TERM trap did not run: the signal never reached the shell")
            #expect(killed.exitCode == 0)
            #expect(killed.reason == nil)
            try await Processes.expectGroupGone(pgid)
        }
    }

    @Test func shutdownKillsEveryTask() async throws {
        try await withExecutor { executor, driver, directory in
            let pidFile = directory + "/shutdown.pids"
            try await executor.launch(driver, task: shellTask("first", "sleep 1000 & echo $! >> \(pidFile); wait"))
            try await executor.launch(driver, task: shellTask("second", #"trap "" TERM; sleep 1000"#))
            try await waitUntil("the first task's child writing its PID") { pids(in: pidFile).count == 1 }
            let records = await executor.processRecords()
            let groups = records.values.map(\.processGroupID)
            defer { groups.forEach(Processes.killGroup) }
            #expect(groups.count == 2)

            await executor.shutdown(driver, gracePeriod: .milliseconds(200))
            // Shutdown returns after the terminal reports were delivered.
            #expect(await driver.states(for: "first").last == .killed)
            #expect(await driver.states(for: "second").last == .killed)
            #expect(await executor.runningTaskIDs.isEmpty)
            for group in groups {
                try await Processes.expectGroupGone(group, pids: pids(in: pidFile))
            }
        }
    }

    @Test func killOfAnUnknownTaskIsIgnored() async throws {
        try await withExecutor { executor, driver, _ in
            await executor.kill(driver, taskID: "ghost", gracePeriod: .zero)
            #expect(await driver.reports.isEmpty)
        }
    }

    @Test func portsBecomeEnvironmentVariables() throws {
        let resources = try Resources(parsing: "cpus:1;ports:[8080-8081,9000-9000]")
        #expect(CommandExecutor.portEnvironment(for: resources) == [
            "PORT": "8080", "PORT0": "8080", "PORT1": "8081", "PORT2": "9000", "PORTS": "8080,8081,9000",
        ])
        #expect(CommandExecutor.portEnvironment(for: "cpus:1").isEmpty)
    }
}
