/* greenbench's version, for records and `greenbench version`. Static strings. */
#ifndef GREENBENCH_VERSION_H
#define GREENBENCH_VERSION_H

const char *gb_version(void);		/* "0.1.0" */
const char *gb_version_string(void);	/* "0.1.0 (abc1234)" */

#endif
