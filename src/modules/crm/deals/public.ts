/** What other modules and workflows use of pipelines, opportunities and projects. */
export {
  createOpportunity,
  createOpportunityFromLead,
  createProject,
  createProjectFromLead,
  DEFAULT_PIPELINES,
  seedDefaultPipelines,
} from './service.ts';
