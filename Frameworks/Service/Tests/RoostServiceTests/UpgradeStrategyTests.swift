import RoostService
import Testing

@Suite("Upgrade strategy bounds")
struct UpgradeStrategyTests {
    @Test("Marathon's defaults keep every instance healthy and allow double the instances")
    func defaults() {
        let strategy = UpgradeStrategy()
        #expect(strategy.minimumHealthy(of: 5) == 5)
        #expect(strategy.maximumRunning(of: 5) == 10)
    }

    @Test("The healthy floor rounds up and the ceiling rounds down", arguments: [
        (0.5, 0.5, 3, 2, 4), (0.0, 0.0, 4, 0, 4), (0.34, 0.2, 10, 4, 12), (1.0, 0.0, 1, 1, 1), (0.3, 0.1, 10, 3, 11),
    ])
    func rounding(health: Double, over: Double, instances: Int, floor: Int, ceiling: Int) {
        let strategy = UpgradeStrategy(minimumHealthCapacity: health, maximumOverCapacity: over)
        #expect(strategy.minimumHealthy(of: instances) == floor)
        #expect(strategy.maximumRunning(of: instances) == ceiling)
    }
}
