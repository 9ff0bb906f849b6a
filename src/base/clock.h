/* clock — monotonic and wall time in milliseconds/microseconds. Never blocks. */
#ifndef AIWB_CLOCK_H
#define AIWB_CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);      /* monotonic */
int64_t clock_us(void);      /* monotonic */
int64_t clock_wall_ms(void); /* Unix epoch */

#endif
