import Slips
import Testing

/// `--shard auto`: the shard of a SLURM job-array task from its environment (``SamplingJob/slurmArrayShard(environment:)``).
@Suite struct SLURMShardTests {
    func env(id: String, min: String = "0", max: String = "7", step: String? = nil, count: String = "8") -> [String: String] {
        var e = ["SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_MIN": min, "SLURM_ARRAY_TASK_MAX": max,
                 "SLURM_ARRAY_TASK_COUNT": count, "HOME": "/home/u"]
        if let step { e["SLURM_ARRAY_TASK_STEP"] = step }
        return e
    }

    @Test func evenlySpacedArraysNumberTheirTasks() throws {
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "0")) == (0, 8))
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "7")) == (7, 8))
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "3", step: "1")) == (3, 8))
        // --array=1-9:4 → tasks 1, 5, 9.
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "5", min: "1", max: "9", step: "4", count: "3")) == (1, 3))
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "9", min: "1", max: "9", step: "4", count: "3")) == (2, 3))
        // A one-task array, whatever its STEP.
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "4", min: "4", max: "4", count: "1")) == (0, 1))
        #expect(try SamplingJob.slurmArrayShard(environment: env(id: "4", min: "4", max: "4", step: "0", count: "1")) == (0, 1))
    }

    @Test(arguments: [
        ([String: String](), "SLURM_ARRAY_TASK_ID, which is not set"),
        (["SLURM_ARRAY_TASK_ID": "2"], "needs SLURM_ARRAY_TASK_MIN"),
        (["SLURM_ARRAY_TASK_ID": "x2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3",
          "SLURM_ARRAY_TASK_COUNT": "4"], "not an integer"),
        // --array=1,4,9: three tasks, not evenly spaced.
        (["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "9",
          "SLURM_ARRAY_TASK_COUNT": "3"], "evenly spaced"),
        // A task outside its array, and a task between the steps.
        (["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7",
          "SLURM_ARRAY_TASK_COUNT": "8"], "evenly spaced"),
        (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "9",
          "SLURM_ARRAY_TASK_STEP": "4", "SLURM_ARRAY_TASK_COUNT": "3"], "evenly spaced"),
        (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "4",
          "SLURM_ARRAY_TASK_STEP": "0", "SLURM_ARRAY_TASK_COUNT": "2"], "evenly spaced"),
        // Values that would overflow the arithmetic.
        (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "-9223372036854775807", "SLURM_ARRAY_TASK_MAX": "9223372036854775807",
          "SLURM_ARRAY_TASK_COUNT": "3"], "evenly spaced"),
        (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "4",
          "SLURM_ARRAY_TASK_STEP": "9223372036854775807", "SLURM_ARRAY_TASK_COUNT": "3"], "evenly spaced"),
    ])
    func malformedArraysAreRefused(environment: [String: String], message: String) {
        #expect {
            _ = try SamplingJob.slurmArrayShard(environment: environment)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
