/* jobs_sagemaker — `aiwb jobs resubmit ID` for a SageMaker training job:
 * a fresh DescribeTrainingJob becomes a CreateTrainingJob request for a copy
 * under a new name (jobs/sagemaker.h), shown on stdout (the job's
 * Environment values masked), confirmed on the terminal unless yes, sent,
 * and the new job's ID printed. Returns the command's exit status. */
#ifndef AIWB_CLI_JOBS_SAGEMAKER_H
#define AIWB_CLI_JOBS_SAGEMAKER_H

#include <signal.h>

#include "jobs/desk.h"

int jobs_resubmit_sagemaker(struct job_desk *d, const struct job *j, int yes);

#endif
