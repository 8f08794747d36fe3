/** What other modules and workflows use of pipelines, opportunities and projects. */
export {
  createOpportunityFromLead,
  createProjectFromLead,
  DEFAULT_PIPELINES,
  seedDefaultPipelines,
} from './service.ts';
