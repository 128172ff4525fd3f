import Slips
import Dispatch
let d = Int(CommandLine.arguments[1])!
let n = Int(CommandLine.arguments[2])!
let k = Int(CommandLine.arguments[3])!
let th = Int(CommandLine.arguments[4])!
let spec = try TargetCatalog.make("two-modes", dimension: d)
var cfg = SLIPSConfiguration(schedule: try GeometricSchedule(), sigma: spec.slipsSigma, epsilon: 0.25, epsilonEnd: 6.62e-3)
cfg.gridPoints = k
let s = SLIPSSampler(configuration: cfg)
let r = try s.sample(spec.target, indices: 0..<n, seed: 0, threads: th, progress: nil)
let m = spec.mixture!
var c0 = 0
for i in 0..<n {
  var d0 = 0.0, d1 = 0.0
  for j in 0..<d { d0 += (r.points[i,j] - m.means[0,j]) * (r.points[i,j] - m.means[0,j]); d1 += (r.points[i,j] - m.means[1,j]) * (r.points[i,j] - m.means[1,j]) }
  if d0 < d1 { c0 += 1 }
}
print("w0", Double(c0)/Double(n), "evals", r.gradientEvaluations, "expected", s.expectedGradientEvaluations(samples: n), "wall", r.wallSeconds, "Meval/s", Double(r.gradientEvaluations)/r.wallSeconds/1e6, r.statistics)
