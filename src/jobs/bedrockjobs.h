/* bedrockjobs — Bedrock model customization jobs as the job source
 * "bedrock" (issue 12, item 4), over Bedrock's REST-JSON control plane on the
 * loop (jobs/awssource.h, jobs/awsjob.h).
 *
 * A refresh lists the jobs (ListModelCustomizationJobs, every page, created
 * in the last AIWB_SAGEMAKER_DAYS days, default 30) and reads each job that
 * is not final, new, or final but not yet read (GetModelCustomizationJob):
 * status, times, failure message, the facts in jobs.info, and the metrics as
 * the job reports them — trainingMetrics.trainingLoss as training_loss and
 * each validator's validationLoss as validation_loss (validation_loss_2, ...
 * for more validators), one point each when the job has them. Stop is
 * StopModelCustomizationJob. Status: InProgress running, Completed
 * completed, Failed failed, Stopping stopping, Stopped stopped, anything else
 * unknown; raw_state is Bedrock's word. describe (describe_alone) is one
 * GetModelCustomizationJob, never the list. The job has no log here (Bedrock
 * writes none to CloudWatch). */
#ifndef AIWB_JOBS_BEDROCKJOBS_H
#define AIWB_JOBS_BEDROCKJOBS_H

#include "jobs/job.h"
#include "store/db.h"

/* On when AIWB_BEDROCK_JOBS is "on". */
int bedrockjobs_enabled(void);
struct job_source *bedrockjobs_source_new(struct db *db, struct loop *loop);

#endif
