import {{module}}
import RoostCluster
import RoostCore

// Runs {{name}}Scheduler on an embedded cluster: a master and two agents in this process.
// Shell commands run as real processes in sandboxes under the temporary directory; word counts
// run on {{name}}Executor inside the agents, which know it by name.
let work: [{{name}}Work] = (1...3).map { .shell("echo '{{command}}: command \($0) ran on' $(hostname)") } + [
    .shell("sleep 1 && echo '{{command}}: done sleeping'"),
    .countWords("the quick brown fox jumps over the lazy dog"),
    .countWords("roost runs frameworks"),
]
let scheduler = {{name}}Scheduler(work: work)
let cluster = LocalCluster(configuration: .init(agents: 2, executors: [{{name}}Executor.name: { _, _ in {{name}}Executor() }]))
print("{{command}}: running \(work.count) pieces of work on an embedded cluster")
try await cluster.run(scheduler, as: FrameworkInfo(name: "{{command}}"))
for (index, result) in await scheduler.results.sorted(by: { $0.key < $1.key }) {
    print("{{command}}: work \(index): \(result)")
}
print("{{command}}: \(await scheduler.succeeded.count) succeeded, \(await scheduler.gaveUp.count) given up")
