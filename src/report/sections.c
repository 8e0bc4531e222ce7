/*
 * The report's sections, in the order every format shows them.
 *
 * Adding a section = one file src/report/section_<name>.c defining its
 * build function (declared in rtable.h) + one row here.
 */
#include "report/rtable.h"

const struct gb_report_section gb_report_sections[] = {
	{ "environment", "Environment", 2, gb_section_environment },
	{ "table1", "Table 1: energy and performance per model, batch size and runtime/EP", 0,
	  gb_section_table1 },
	{ "table2", "Table 2: accuracy", 5, gb_section_table2 },
	{ "table3", "Table 3: execution providers compared (energy per item, mJ)", 0, gb_section_table3 },
	{ "conversions", "RQ2: each framework's model against its converted model", 6, gb_section_conversions },
	{ "findings", "The study's findings, checked", 4, gb_section_findings },
	{ "pairs", "Pairwise tests: energy per item", 7, gb_section_pairs },
};

const size_t gb_report_section_count = sizeof gb_report_sections / sizeof gb_report_sections[0];
