import Foundation
import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Task processes: their own process group, output capture, teardown, and recovery by record.
struct TaskProcessTests {
    @Test func runsInItsOwnProcessGroupAndCapturesOutput() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = TaskProcess.Configuration(
                command: .shell(#"echo "pgid:$(ps -o pgid= -p $$ | tr -d ' ') pid:$$ extra:$EXTRA"; echo oops >&2; exit 7"#),
                workingDirectory: directory, environment: ["EXTRA": "yes"],
                stdoutPath: directory + "/out", stderrPath: directory + "/err")
            let process = try await TaskProcess.launch(configuration)
            #expect(process.pid == process.processGroupID)
            #expect(process.processGroupID != getpgrp())
            let termination = await process.wait()
            #expect(termination == .exited(7))
            #expect(termination.description == "exited with code 7")
            #expect(process.termination == .exited(7))
            #expect(contents(of: directory + "/out") == "pgid:\(process.pid) pid:\(process.pid) extra:yes\n")
            #expect(contents(of: directory + "/err") == "oops\n")
        }
    }

    @Test func outputIsAppendedAcrossRuns() async throws {
        try await withTemporaryDirectory { directory in
            for word in ["one", "two"] {
                let process = try await TaskProcess.launch(.init(
                    command: .argv(["echo", word]), workingDirectory: directory, stdoutPath: directory + "/out"))
                #expect(await process.wait() == .exited(0))
            }
            #expect(contents(of: directory + "/out") == "one\ntwo\n")
        }
    }

    @Test func launchFailuresNameTheProblem() async throws {
        try await withTemporaryDirectory { directory in
            let missing = await #expect(throws: ProcessError.self) {
                try await TaskProcess.launch(.init(command: .argv(["roost-no-such-program"]), workingDirectory: directory))
            }
            #expect(missing?.code == .executableNotFound)
            #expect(missing?.message.contains("roost-no-such-program") == true)

            let notExecutable = directory + "/script.sh"
            try writeFile(notExecutable, "echo hi")
            let denied = await #expect(throws: ProcessError.self) {
                try await TaskProcess.launch(.init(command: .argv(["./script.sh"]), workingDirectory: directory))
            }
            #expect(denied?.code == .executableNotFound)
            #expect(denied?.message.contains("./script.sh") == true)

            let noInterpreter = directory + "/no-interpreter"
            try writeFile(noInterpreter, "echo hi")
            chmod(noInterpreter, 0o755)
            let unrunnable = await #expect(throws: ProcessError.self) {
                try await TaskProcess.launch(.init(command: .argv([noInterpreter]), workingDirectory: directory))
            }
            #expect(unrunnable?.code == .executableNotFound)
            #expect(unrunnable?.message.contains("'#!'") == true)

            let noFolder = await #expect(throws: ProcessError.self) {
                try await TaskProcess.launch(.init(command: .shell("true"), workingDirectory: directory + "/absent"))
            }
            #expect(noFolder?.code == .workingDirectoryUnavailable)

            let noOutput = await #expect(throws: ProcessError.self) {
                try await TaskProcess.launch(.init(command: .shell("true"), workingDirectory: directory, stdoutPath: directory + "/absent/out"))
            }
            #expect(noOutput?.code == .outputUnavailable)
        }
    }

    /// What `Foundation.Process` gets wrong: its children start with SIGTERM blocked. Roost's
    /// start with nothing blocked, nothing ignored (even what the agent ignores), stdin from
    /// `/dev/null` and none of the agent's descriptors. Read from outside, in `/proc`, of a
    /// `sleep` that touches neither its signals nor its descriptors (a shell inspecting itself
    /// would show what it blocks and the pipes it opens while running a pipeline).
    @Test func childrenStartClean() async throws {
        try await withTemporaryDirectory { directory in
            let previous = signal(SIGPIPE, SIG_IGN)
            defer { signal(SIGPIPE, previous) }
            let inherited = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: only the spawn can keep it out
            #expect(inherited > 2)
            defer { close(inherited) }
            let process = try await TaskProcess.launch(.init(
                command: .argv(["sleep", "1000"]), workingDirectory: directory, stdoutPath: directory + "/out", teardownGracePeriod: .zero))
            // posix_spawn returned after the exec: /proc shows `sleep` as it starts.
            let status = contents(of: "/proc/\(process.pid)/status").split(separator: "\n").map(String.init)
            // `sleep` may open its locale files as it starts; an inherited descriptor would stay.
            var descriptors: [Int] = []
            try? await waitUntil("only stdin, stdout and stderr open in the child", timeout: .seconds(5)) {
                descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd").compactMap(Int.init).sorted()
                return descriptors == [0, 1, 2]
            }
            let stdin = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/fd/0")
            await process.kill(gracePeriod: .zero)
            func mask(_ name: String) -> UInt64? {
                status.first { $0.hasPrefix(name + ":\t") }.flatMap { UInt64($0.dropFirst(name.count + 2), radix: 16) }
            }
            #expect(mask("SigBlk") == 0)
            // Signals 1-31; glibc keeps its own two real-time signals (32, 33) ignored in every child.
            #expect(mask("SigIgn").map { $0 & 0x7fff_ffff } == 0)
            #expect(descriptors == [0, 1, 2])
            #expect(stdin == "/dev/null")
        }
    }

    @Test func taskVariablesWinOverTheAgentsAndTheRestIsInherited() async throws {
        try await withTemporaryDirectory { directory in
            let agentPath = try #require(ProcessInfo.processInfo.environment["PATH"])
            let process = try await TaskProcess.launch(.init(
                command: .argv(["/usr/bin/env"]), workingDirectory: directory,
                environment: ["HOME": "/roost-task-home", "ROOST_ONLY_TASK": "a=b"], stdoutPath: directory + "/out"))
            #expect(await process.wait() == .exited(0))
            let lines = contents(of: directory + "/out").split(separator: "\n").map(String.init)
            #expect(lines.filter { $0.hasPrefix("HOME=") } == ["HOME=/roost-task-home"])
            #expect(lines.contains("ROOST_ONLY_TASK=a=b"))
            #expect(lines.contains("PATH=\(agentPath)"))

            let bare = try await TaskProcess.launch(.init(
                command: .argv(["/usr/bin/env"]), workingDirectory: directory, environment: ["ONLY": "1"],
                inheritsEnvironment: false, stdoutPath: directory + "/bare"))
            #expect(await bare.wait() == .exited(0))
            #expect(contents(of: directory + "/bare") == "ONLY=1\n")
        }
    }

    @Test func relativeProgramPathsStartFromTheWorkingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let script = directory + "/run.sh"
            try writeFile(script, "#!/bin/sh\necho \"ran in $(pwd)\"\n", executable: true)
            let process = try await TaskProcess.launch(.init(
                command: .argv(["./run.sh"]), workingDirectory: directory, stdoutPath: directory + "/out"))
            #expect(await process.wait() == .exited(0))
            #expect(contents(of: directory + "/out") == "ran in \(directory)\n")
        }
    }

    @Test func leftoverProcessesDieWithTheLeader() async throws {
        try await withTemporaryDirectory { directory in
            // The leader exits at once, leaving a background sleep in its group.
            let pidFile = directory + "/pids"
            let process = try await TaskProcess.launch(.init(
                command: .shell("sleep 1000 & echo $! > \(pidFile); exit 0"), workingDirectory: directory))
            defer { Processes.killGroup(process.processGroupID) }
            #expect(await process.wait() == .exited(0))
            try await Processes.expectGroupGone(process.processGroupID, pids: pids(in: pidFile))
        }
    }

    @Test func cancellingTheWaiterTearsTheGroupDown() async throws {
        try await withTemporaryDirectory { directory in
            let pidFile = directory + "/pids"
            let process = try await TaskProcess.launch(.init(
                command: .shell(#"sleep 1000 & echo $! >> \#(pidFile); trap "" TERM; echo $$ >> \#(pidFile); sleep 1000"#),
                workingDirectory: directory, teardownGracePeriod: .milliseconds(100)))
            defer { Processes.killGroup(process.processGroupID) }
            try await waitUntil("the tree writing its PIDs") { pids(in: pidFile).count == 2 }

            let waiter = Task { await process.wait() }
            waiter.cancel()
            let termination = await waiter.value
            #expect(termination == .signaled(SIGKILL), "the shell ignores SIGTERM, so only SIGKILL can have ended it")
            #expect(process.termination == termination)
            try await Processes.expectGroupGone(process.processGroupID, pids: pids(in: pidFile))
        }
    }

    @Test func killOfAFinishedProcessReturnsItsTermination() async throws {
        try await withTemporaryDirectory { directory in
            let process = try await TaskProcess.launch(.init(command: .shell("exit 4"), workingDirectory: directory))
            #expect(await process.wait() == .exited(4))
            #expect(await process.kill(gracePeriod: .seconds(1)) == .exited(4))
        }
    }

    @Test func recoveryFindsKillsAndWaitsForAGroupByItsRecord() async throws {
        try await withTemporaryDirectory { directory in
            let pidFile = directory + "/pids"
            let process = try await TaskProcess.launch(.init(
                command: .shell("sleep 1000 & echo $! >> \(pidFile); sleep 1000 & echo $! >> \(pidFile); wait"),
                workingDirectory: directory))
            defer { Processes.killGroup(process.processGroupID) }
            try await waitUntil("the tree writing its PIDs") { pids(in: pidFile).count == 2 }

            // What an agent would have saved, read back after a restart.
            let saved = try JSONEncoder().encode(process.record)
            let record = try JSONDecoder().decode(ProcessRecord.self, from: saved)
            #expect(record == process.record)
            #expect(record.pid == process.pid && record.processGroupID == process.pid)
            #expect(record.bootID != nil)
            #expect(try ProcessRecord.capture(pid: process.pid) == record)

            #expect(record.isAlive())
            #expect(record.isGroupAlive())
            await #expect(throws: ProcessError.self) { try await record.waitForExit(timeout: .milliseconds(50)) }

            await record.killGroup(gracePeriod: .seconds(5))
            #expect(!record.isGroupAlive())
            try await record.waitForExit(timeout: .seconds(5))
            try await record.waitForGroupExit(timeout: .seconds(5))
            #expect(!record.isAlive())
            #expect(!record.signalGroup(SIGTERM), "signalling a gone group must not reach anything")
            #expect(await process.wait() == .signaled(SIGTERM))
            try await Processes.expectGroupGone(record.processGroupID, pids: pids(in: pidFile))
        }
    }

    @Test func aReusedPIDIsNotTheRecordedProcess() async throws {
        try await withTemporaryDirectory { directory in
            let process = try await TaskProcess.launch(.init(command: .shell("sleep 1000"), workingDirectory: directory))
            defer { Processes.killGroup(process.processGroupID) }
            var other = process.record
            other.startTime += 1  // the same PID, started at another time: another process
            #expect(!other.isAlive())
            #expect(!other.isGroupAlive())
            #expect(!other.signalGroup(SIGKILL))
            await other.killGroup(gracePeriod: .zero)
            try await other.waitForExit(timeout: .seconds(1))

            var otherBoot = process.record
            otherBoot.bootID = "00000000-0000-0000-0000-000000000000"
            #expect(!otherBoot.isAlive())
            #expect(!otherBoot.isGroupAlive())

            #expect(process.record.isAlive(), "the wrong records must not have touched the real process")
            #expect(await process.kill(gracePeriod: .seconds(5)) == .signaled(SIGTERM))
            #expect(!process.record.isAlive())
        }
    }

    @Test func recordsThatCouldHitTheAgentAreNeverSignalled() throws {
        let own = try ProcessRecord.capture(pid: getpid())
        #expect(own.isAlive())
        #expect(!own.isGroupAlive(), "the test runner's own group is not a task group")
        #expect(!own.signalGroup(0))
        for group: Int32 in [0, 1] {
            let corrupt = ProcessRecord(pid: getpid(), processGroupID: group, startTime: own.startTime, bootID: own.bootID)
            #expect(!corrupt.isGroupAlive())
            #expect(!corrupt.signalGroup(0))
        }
    }

    @Test func captureOfAMissingProcessThrows() {
        #expect(throws: ProcessError.self) { try ProcessRecord.capture(pid: Int32.max) }
        let gone = ProcessRecord(pid: Int32.max, processGroupID: Int32.max, startTime: 1, bootID: nil)
        #expect(!gone.isAlive())
        #expect(!gone.isGroupAlive())
    }
}

/// The sandbox layout and its creation.
struct SandboxTests {
    @Test func followsTheMesosLayout() async throws {
        try await withTemporaryDirectory { directory in
            let sandbox = Sandbox(workDirectory: directory + "/work/", frameworkID: "fw", executorID: "ex", taskID: "t-1")
            #expect(sandbox.path == directory + "/work/frameworks/fw/executors/ex/runs/t-1")
            #expect(sandbox.stdoutPath == sandbox.path + "/stdout")
            #expect(sandbox.stderrPath == sandbox.path + "/stderr")
            try sandbox.create()
            try sandbox.create()  // again: nothing changes
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: sandbox.path, isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(FileManager.default.fileExists(atPath: sandbox.stdoutPath))
            #expect(FileManager.default.fileExists(atPath: sandbox.stderrPath))

            #expect(try sandbox.workingDirectory(nil) == sandbox.path)
            #expect(try sandbox.workingDirectory("a/b") == sandbox.path + "/a/b")
            #expect(FileManager.default.fileExists(atPath: sandbox.path + "/a/b"))
            #expect(throws: SandboxError.self) { try sandbox.workingDirectory("../escape") }
            #expect(throws: SandboxError.self) { try sandbox.workingDirectory("/etc") }
        }
    }

    @Test func refusesIDsThatAreNotPathSegments() {
        let sandbox = Sandbox(workDirectory: "/tmp/roost-never-created", frameworkID: "fw", executorID: "..", taskID: "t")
        let error = #expect(throws: SandboxError.self) { try sandbox.create() }
        #expect(error?.code == .invalidPath)
    }
}
